"""Every candidate source passes the shared contract, plus what is particular to each."""

from __future__ import annotations

import numpy as np

from tests.contracts import CandidateSourceContract
from tests.serving.toy_model import ToyModel
from videorec.serving.candidates import (
    CategorySource,
    ContentSource,
    CovisitSource,
    FreshSource,
    MoodSource,
    TrendingSource,
    TwoTowerSource,
)


class TestTwoTowerSource(CandidateSourceContract):
    def make_source(self, feed_world):
        self.context_kwargs = {"model": ToyModel(feed_world.index.post_ids)}
        return TwoTowerSource()

    def test_without_a_model_finds_nothing(self, feed_world) -> None:
        assert TwoTowerSource().fetch(feed_world.context(50_001), 10) == []


class TestCovisitSource(CandidateSourceContract):
    needs_history = True

    def make_source(self, feed_world):
        return CovisitSource()

    def test_finds_posts_for_a_user_with_history(self, feed_world) -> None:
        assert CovisitSource().fetch(feed_world.context(50_001), 10)


class TestTrendingSource(CandidateSourceContract):
    def make_source(self, feed_world):
        return TrendingSource()

    def test_most_popular_first(self, feed_world) -> None:
        found = TrendingSource().fetch(feed_world.context(None), 20)
        assert [c.score for c in found] == sorted((c.score for c in found), reverse=True)


class TestFreshSource(CandidateSourceContract):
    def make_source(self, feed_world):
        return FreshSource()

    def test_newest_first(self, feed_world) -> None:
        found = FreshSource().fetch(feed_world.context(None), 20)
        times = feed_world.index.created_at[[c.row for c in found]]
        assert list(times) == sorted(times, reverse=True)


class TestCategorySource(CandidateSourceContract):
    context_kwargs = {"category_id": 3}

    def make_source(self, feed_world):
        return CategorySource()

    def test_under_a_filter_only_that_category(self, feed_world) -> None:
        found = CategorySource().fetch(feed_world.context(None, category_id=3), 100)
        assert found
        assert set(feed_world.index.category_ids[[c.row for c in found]]) == {3}


class TestContentSource(CandidateSourceContract):
    needs_history = True

    def make_source(self, feed_world):
        return ContentSource()

    def test_prefers_the_users_favourite_mood(self, feed_world) -> None:
        # user 50_000 favours "calm" (world.FAMILIES[0])
        found = ContentSource().fetch(feed_world.context(50_000), 20)
        calm = [c for c in found if "calm" in feed_world.catalog.texts[c.row]]
        assert len(calm) >= 15


class TestMoodSource(CandidateSourceContract):
    context_kwargs = {"mood": "feeling calm and peaceful"}

    def make_source(self, feed_world):
        return MoodSource()

    def test_matches_the_mood(self, feed_world) -> None:
        found = MoodSource().fetch(feed_world.context(None, mood="funny"), 20)
        terms = [" ".join(feed_world.catalog.mood_terms[c.row]) for c in found]
        assert sum("funny" in t or "humorous" in t or "playful" in t for t in terms) >= 18
        assert found[0].reason == "matches your mood: funny"

    def test_without_a_mood_finds_nothing(self, feed_world) -> None:
        assert MoodSource().fetch(feed_world.context(None), 10) == []


def test_rows_of_unknown_ids_are_minus_one(feed_world) -> None:
    rows = feed_world.index.rows_of(np.asarray([1000, 5, 10**12], dtype=np.int64))
    assert rows.tolist()[1:] == [-1, -1]


def test_in_sorted_is_isin_for_a_sorted_set() -> None:
    from videorec.serving.candidates.base import in_sorted

    rng = np.random.default_rng(3)
    for size in (0, 1, 5, 300):
        sorted_set = np.unique(rng.integers(-1, 400, size)).astype(np.int64)
        values = rng.integers(0, 420, 500).astype(np.int64)
        assert np.array_equal(in_sorted(values, sorted_set), np.isin(values, sorted_set))
