"""The hidden truth agrees with the served data, drives the signals, and ranks like an oracle."""

from __future__ import annotations

import numpy as np
import pytest

from videorec.datagen import load_truth, oracle_ranking, oracle_relevance
from videorec.datagen.truth import post_rows, user_rows
from videorec.datagen.vocabulary import MOODS, TOPICS
from videorec.errors import InvalidInput, NotFound


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


@pytest.fixture(scope="module")
def truth(stats_dir):
    return load_truth(stats_dir)


class TestConsistency:
    def test_truth_holds_exactly_the_served_users_and_posts(self, truth, stats_set) -> None:
        assert truth.user_ids.tolist() == [u["id"] for u in stats_set["users"]]
        assert truth.post_ids.tolist() == [p["id"] for p in stats_set["posts"]]

    def test_every_interaction_references_a_user_and_post_of_the_truth(
        self, truth, stats_set
    ) -> None:
        users, posts = set(truth.user_ids.tolist()), set(truth.post_ids.tolist())
        for kind in ("view", "like", "inspire", "rating"):
            assert {r["user_id"] for r in stats_set[kind]} <= users, kind
            assert {r["post_id"] for r in stats_set[kind]} <= posts, kind

    def test_post_summary_emotions_are_words_of_the_true_mood(self, truth, stats_set) -> None:
        for row, post in enumerate(stats_set["posts"]):
            mood = MOODS[truth.post_moods[row]]
            words = {w.lower() for w in _strings(post["post_summary"]["emotions"])}
            assert mood.name in words
            assert words <= set(mood.words), post["id"]

    def test_post_genre_and_category_follow_the_true_topic(self, truth, stats_set) -> None:
        for row, post in enumerate(stats_set["posts"]):
            topic = TOPICS[truth.post_topics[row]]
            assert post["post_summary"]["genre"] == topic.genre
            assert post["category"] == [] or post["category"]["id"] == topic.category_id

    def test_posts_created_at_matches_the_truth(self, truth, stats_set) -> None:
        created = [p["created_at"] // 1000 for p in stats_set["posts"]]
        assert created == truth.post_created_at.tolist()

    def test_no_view_precedes_its_post(self, truth, stats_set) -> None:
        created = dict(zip(truth.post_ids.tolist(), truth.post_created_at.tolist(), strict=True))
        stamps = np.array([r["viewed_at"] for r in stats_set["view"]], dtype="datetime64[s]")
        post_times = np.array([created[r["post_id"]] for r in stats_set["view"]])
        assert (stamps.astype(np.int64) >= post_times).all()

    def test_some_posts_arrive_during_the_logs(self, truth) -> None:
        start = truth.active_from.min()
        assert 0.5 < (truth.post_created_at > start).mean() < 0.9


class TestSignals:
    def _affinity(self, truth, rows) -> np.ndarray:
        users = user_rows(truth, [r["user_id"] for r in rows])
        posts = post_rows(truth, [r["post_id"] for r in rows])
        return truth.affinity_pairs(users, posts)

    def test_likes_and_inspires_carry_more_taste_than_views(self, truth, stats_set) -> None:
        view = self._affinity(truth, stats_set["view"]).mean()
        assert self._affinity(truth, stats_set["like"]).mean() > view + 0.05
        assert self._affinity(truth, stats_set["inspire"]).mean() > view + 0.05

    def test_rating_values_rise_with_affinity(self, truth, stats_set) -> None:
        affinity = self._affinity(truth, stats_set["rating"])
        values = np.array([r["rating_percent"] for r in stats_set["rating"]])
        rank_corr = np.corrcoef(np.argsort(np.argsort(affinity)), np.argsort(np.argsort(values)))
        assert rank_corr[0, 1] > 0.8

    def test_views_prefer_a_users_favourite_topic(self, truth, stats_set) -> None:
        users = user_rows(truth, [r["user_id"] for r in stats_set["view"]])
        posts = post_rows(truth, [r["post_id"] for r in stats_set["view"]])
        favourite = truth.topic_taste[users].argmax(axis=1)
        assert (truth.post_topics[posts] == favourite).mean() > 0.3


class TestOracle:
    def test_relevance_has_one_row_per_user_and_one_column_per_post(self, truth) -> None:
        scores = oracle_relevance(truth, truth.user_ids[:3], truth.post_ids[:5])
        assert scores.shape == (3, 5)

    def test_ranking_is_sorted_by_relevance(self, truth) -> None:
        ranked = oracle_ranking(truth, truth.user_ids[:2], truth.post_ids, k=10)
        scores = oracle_relevance(truth, truth.user_ids[:2], truth.post_ids)
        best = np.sort(scores, axis=1)[:, ::-1][:, :10]
        got = np.take_along_axis(scores, post_rows(truth, ranked.ravel()).reshape(2, 10), axis=1)
        np.testing.assert_allclose(got, best)

    def test_oracle_top_ten_catches_more_future_views_than_popularity(
        self, truth, stats_set
    ) -> None:
        stamps = sorted(r["viewed_at"] for r in stats_set["view"])
        cut = stamps[int(len(stamps) * 0.8)]
        train = [r for r in stats_set["view"] if r["viewed_at"] < cut]
        test = [r for r in stats_set["view"] if r["viewed_at"] >= cut]
        counts = np.bincount(post_rows(truth, [r["post_id"] for r in train]),
                             minlength=len(truth.post_ids))  # fmt: skip
        popular = set(truth.post_ids[np.argsort(-counts)[:10]].tolist())
        users = sorted({r["user_id"] for r in test})
        oracle_top = oracle_ranking(truth, users, truth.post_ids, k=10)
        top = {u: set(row.tolist()) for u, row in zip(users, oracle_top, strict=True)}
        oracle_hits = sum(r["post_id"] in top[r["user_id"]] for r in test)
        popular_hits = sum(r["post_id"] in popular for r in test)
        assert oracle_hits > 2 * popular_hits

    def test_unknown_ids_are_refused(self, truth) -> None:
        with pytest.raises(InvalidInput):
            oracle_relevance(truth, [truth.user_ids.max() + 1], truth.post_ids[:2])

    def test_loading_from_a_folder_without_truth_says_so(self, tmp_path) -> None:
        with pytest.raises(NotFound):
            load_truth(tmp_path)
