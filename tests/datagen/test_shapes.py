"""The served files have the 2025 Socialverse shapes (API.md §3-5), and nothing hidden leaks."""

from __future__ import annotations

import re

from videorec.datagen.vocabulary import CATEGORIES

USER_KEYS = [
    "id", "first_name", "last_name", "username", "twitter_url", "twitter_username",
    "twitter_profile_url", "email", "gender", "role", "profile_url", "bio", "user_type",
    "hourly_rate", "currency", "website_url", "instagram-url", "youtube_url", "tictok_url",
    "isVerified", "referral_code", "has_wallet", "last_login", "share_count",
    "total_reward_points", "referral_point", "referral_count", "total_inspired_user_count",
    "daily_login_streak", "post_count", "following_count", "follower_count", "is_verified",
    "is_online", "latitude", "longitude",
]  # fmt: skip
POST_KEYS = [
    "id", "category", "topic", "slug", "title", "identifier", "comment_count", "upvote_count",
    "view_count", "exit_count", "rating_count", "average_rating", "share_count",
    "bookmark_count", "video_link", "contract_address", "chain_id", "chart_url", "baseToken",
    "is_locked", "created_at", "first_name", "last_name", "username", "user_type",
    "has_evm_wallet", "has_solana_wallet", "is_viewed", "upvoted", "bookmarked",
    "is_available_in_public_feed", "thumbnail_url", "gif_thumbnail_url", "following",
    "picture_url", "post_summary", "tags", "source_matrix",
]  # fmt: skip
SUMMARY_KEYS = [
    "actions", "audio_elements", "description", "emotions", "entities", "estimated_duration",
    "genre", "is_face_exist", "keywords", "no_of_person_in_video", "other_person_details",
    "main_person_details", "targeted_audiance", "topics_of_video", "visual_elements_of_video",
    "quality_indicators", "psycological_view_of_video",
]  # fmt: skip
LOG_KEYS = {
    "view": ["id", "post_id", "user_id", "viewed_at"],
    "like": ["id", "post_id", "user_id", "liked_at"],
    "inspire": ["id", "post_id", "user_id", "inspired_at"],
    "rating": ["id", "post_id", "user_id", "rating_percent", "rated_at"],
}
STAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


class TestServedFiles:
    def test_folder_holds_six_files_and_the_truth_folder_only(self, stats_dir) -> None:
        names = sorted(p.name for p in stats_dir.iterdir())
        assert names == sorted(
            ["users.json", "posts.json", "view.json", "like.json", "inspire.json",
             "rating.json", "truth"]
        )  # fmt: skip

    def test_users_have_the_36_keys_in_order(self, stats_set) -> None:
        assert all(list(user) == USER_KEYS for user in stats_set["users"])

    def test_user_ids_ascend_and_usernames_are_unique(self, stats_set) -> None:
        ids = [u["id"] for u in stats_set["users"]]
        assert ids == sorted(set(ids))
        assert len({u["username"] for u in stats_set["users"]}) == len(ids)

    def test_posts_have_the_38_keys_in_order(self, stats_set) -> None:
        assert all(list(post) == POST_KEYS for post in stats_set["posts"])

    def test_post_summaries_have_the_17_keys(self, stats_set) -> None:
        assert all(list(p["post_summary"]) == SUMMARY_KEYS for p in stats_set["posts"])

    def test_categories_come_from_the_real_catalogue(self, stats_set) -> None:
        catalogue = {c.id: c.name for c in CATEGORIES}
        seen = {(p["category"]["id"], p["category"]["name"])
                for p in stats_set["posts"] if p["category"]}  # fmt: skip
        assert seen <= set(catalogue.items())
        assert len(seen) >= 10
        assert any(p["category"] == [] for p in stats_set["posts"])

    def test_posts_carry_topic_list_and_epoch_ms(self, stats_set) -> None:
        post = stats_set["posts"][0]
        assert post["topic"] == []
        assert post["created_at"] > 1_500_000_000_000

    def test_emotions_take_each_real_shape(self, stats_set) -> None:
        shapes = set()
        for post in stats_set["posts"]:
            emotions = post["post_summary"]["emotions"]
            shapes.add(tuple(sorted(emotions)) if isinstance(emotions, dict) else "list")
        assert shapes == {("conveyed",), "list", ("mood",), ("primary", "secondary")}

    def test_log_rows_have_their_keys_in_order(self, stats_set) -> None:
        for kind, keys in LOG_KEYS.items():
            assert all(list(row) == keys for row in stats_set[kind]), kind

    def test_log_ids_ascend_with_time(self, stats_set) -> None:
        for kind, keys in LOG_KEYS.items():
            rows = stats_set[kind]
            ids = [r["id"] for r in rows]
            stamps = [r[keys[-1]] for r in rows]
            assert ids == sorted(set(ids)), kind
            assert stamps == sorted(stamps), kind
            assert all(STAMP.match(s) for s in stamps), kind
