"""Tolerant schemas on real sample items of both generations, and on edge shapes."""

from __future__ import annotations

from datetime import datetime

import pytest
from pydantic import ValidationError

from tests.ingestion.conftest import SAMPLES, read_sample
from videorec.ingestion.schemas import InteractionIn, PostIn, UpstreamPage, UserIn, parse_timestamp

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="samples not available")

USER_2025_KEYS = (
    "id, first_name, last_name, username, twitter_url, twitter_username, twitter_profile_url, "
    "email, gender, role, profile_url, bio, user_type, hourly_rate, currency, website_url, "
    "instagram-url, youtube_url, tictok_url, isVerified, referral_code, has_wallet, last_login, "
    "share_count, total_reward_points, referral_point, referral_count, "
    "total_inspired_user_count, daily_login_streak, post_count, following_count, "
    "follower_count, is_verified, is_online, latitude, longitude"
).split(", ")


def user_2025() -> dict:
    """A 36-key user as API.md §5 documents it (no 2025 user is among the samples)."""
    user = dict.fromkeys(USER_2025_KEYS, "")
    user.update(
        id=2255,
        username="newbie",
        user_type=None,
        hourly_rate=0,
        currency="USD",
        isVerified=False,
        is_verified=True,
        has_wallet=False,
        is_online=False,
        last_login="2025-05-01 10:00:00",
        share_count=1,
        total_reward_points=5,
        referral_point=0,
        referral_count=0,
        total_inspired_user_count=0,
        daily_login_streak=2,
        post_count=0,
        following_count=3,
        follower_count=4,
    )
    user["instagram-url"] = None
    return user


class TestPostIn:
    def test_accepts_every_2025_post(self) -> None:
        items = read_sample("posts-2025-06/posts.json")
        posts = [PostIn.model_validate(item) for item in items]
        assert len(posts) == 100
        assert all(len(item) == 38 for item in items)
        assert all(post.post_summary for post in posts)

    def test_accepts_every_2024_post_object(self) -> None:
        items = read_sample("token-scoped-2024-12/rating.json")
        posts = [PostIn.model_validate(item) for item in items]
        assert all(len(item) == 29 for item in items)
        assert all(post.post_summary is None for post in posts)  # `[]` upstream
        assert all(post.bookmark_count == 0 and post.tags == [] for post in posts)

    def test_reads_epoch_milliseconds_and_the_owner(self) -> None:
        post = PostIn.model_validate(read_sample("posts-2025-06/posts.json")[0])
        assert post.created_at == datetime(2023, 11, 7, 4, 0, 53)
        assert post.username
        assert post.video_link.startswith("https://")

    def test_empty_list_category_and_summary_become_none(self) -> None:
        post = PostIn.model_validate({"id": 7, "category": [], "topic": [], "post_summary": []})
        assert (post.category, post.topic, post.post_summary) == (None, None, None)

    def test_keeps_unknown_fields_and_nulls_fall_back_to_defaults(self) -> None:
        post = PostIn.model_validate({"id": 7, "title": None, "view_count": None, "brand_new": 1})
        assert post.title == ""
        assert post.view_count == 0
        assert post.model_extra == {"brand_new": 1}

    def test_a_partly_null_summary_is_kept(self) -> None:
        summary = {"description": "text", "keywords": [{"keyword": "x", "weight": 3}],
                   "emotions": None, "genre": None}  # fmt: skip
        assert PostIn.model_validate({"id": 3451, "post_summary": summary}).post_summary == summary

    @pytest.mark.parametrize("bad", [{"id": "abc"}, {"id": None}, {"title": "no id"},
                                     {"id": 1, "category": "Vible"}])  # fmt: skip
    def test_rejects_what_a_row_cannot_live_without(self, bad: dict) -> None:
        with pytest.raises(ValidationError):
            PostIn.model_validate(bad)


class TestUserIn:
    def test_accepts_every_2024_user(self) -> None:
        items = read_sample("global-logs-2024-12/users.json")
        users = [UserIn.model_validate(item) for item in items]
        assert len(users) == 1207
        assert all(len(item) == 24 for item in items)
        assert users[0].last_login == datetime(2024, 12, 6, 11, 27)

    def test_empty_last_login_is_none(self) -> None:
        never = next(
            i for i in read_sample("global-logs-2024-12/users.json") if i["last_login"] == ""
        )
        assert UserIn.model_validate(never).last_login is None

    def test_accepts_a_2025_user(self) -> None:
        user = UserIn.model_validate(user_2025())
        assert (user.id, user.username, user.is_verified) == (2255, "newbie", True)
        assert user.model_extra is not None
        assert user.model_extra["daily_login_streak"] == 2

    def test_rejects_an_empty_username(self) -> None:
        with pytest.raises(ValidationError):
            UserIn.model_validate({"id": 1, "username": ""})


class TestInteractionIn:
    @pytest.mark.parametrize("kind", ["view", "like", "inspire", "rating"])
    def test_accepts_every_sample_row(self, kind: str) -> None:
        rows = [InteractionIn.from_item(kind, item)
                for item in read_sample(f"global-logs-2024-12/{kind}.json")]  # fmt: skip
        assert all(isinstance(row.occurred_at, datetime) for row in rows)
        assert all((row.rating is not None) == (kind == "rating") for row in rows)

    def test_keeps_the_rating_percent(self) -> None:
        row = {"id": 1, "post_id": 516, "user_id": 1, "rating_percent": 64,
               "rated_at": "2024-01-11 12:45:41"}  # fmt: skip
        assert InteractionIn.from_item("rating", row).rating == 64

    @pytest.mark.parametrize(
        "row",
        [{"id": 1, "post_id": "x", "user_id": 1, "viewed_at": "2024-01-01 00:00:00"},
         {"id": 1, "post_id": 1, "user_id": 1},
         {"id": None, "post_id": 1, "user_id": 1, "viewed_at": "2024-01-01 00:00:00"},
         ["not", "an", "object"]],
    )  # fmt: skip
    def test_rejects_broken_rows(self, row) -> None:
        with pytest.raises(ValueError):  # noqa: PT011 - pydantic or our own
            InteractionIn.from_item("view", row)

    def test_rejects_a_rating_out_of_range(self) -> None:
        row = {"id": 1, "post_id": 1, "user_id": 1, "rating_percent": 101,
               "rated_at": "2024-01-11 12:45:41"}  # fmt: skip
        with pytest.raises(ValidationError):
            InteractionIn.from_item("rating", row)


class TestParseTimestamp:
    def test_reads_both_upstream_formats(self) -> None:
        assert parse_timestamp("2024-11-24 20:26:04") == datetime(2024, 11, 24, 20, 26, 4)
        assert parse_timestamp(1739791247000) == datetime(2025, 2, 17, 11, 20, 47)

    def test_converts_an_aware_timestamp_to_naive_utc(self) -> None:
        assert parse_timestamp("2024-11-24T20:26:04+02:00") == datetime(2024, 11, 24, 18, 26, 4)

    def test_empty_is_none(self) -> None:
        assert parse_timestamp("") is None


class TestUpstreamPage:
    def test_reads_an_envelope(self) -> None:
        data = {"status": "success", "message": "m", "page": 2, "page_size": 1,
                "max_page_size": 5, "users": [{"id": 1}]}  # fmt: skip
        page = UpstreamPage.from_envelope(data, "users", 2)
        assert (page.page, page.page_size, page.max_page_size, page.items) == (2, 1, 5, [{"id": 1}])

    def test_refuses_an_envelope_without_its_list(self) -> None:
        with pytest.raises(ValueError, match="posts"):
            UpstreamPage.from_envelope({"status": "error"}, "posts", 1)
