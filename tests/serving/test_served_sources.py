"""Neighbour lists, the signal-weighted content profile, weights and the cold path in `rank`."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import scipy.sparse as sp

from tests.contracts import CandidateSourceContract
from tests.serving.toy_model import ToyModel
from videorec.features.log import KIND_CODES, InteractionLog
from videorec.serving.candidates import ContentSource, NeighbourSource, TwoTowerSource
from videorec.serving.candidates.base import FeedContext
from videorec.serving.config import FeedConfig
from videorec.serving.extras import ServingExtras, load_extras, save_extras
from videorec.serving.ranking import MODEL, gather, rank


def _chain(n: int) -> sp.csr_matrix:
    """Row i's neighbours: i+1 (weight 2) and i+2 (weight 1)."""
    rows = np.r_[np.arange(n - 1), np.arange(n - 2)]
    cols = np.r_[np.arange(1, n), np.arange(2, n)]
    data = np.r_[np.full(n - 1, 2.0), np.ones(n - 2)].astype(np.float32)
    return sp.csr_matrix((data, (rows, cols)), shape=(n, n))


class TestNeighbourSource(CandidateSourceContract):
    needs_history = True

    def make_source(self, feed_world):
        self.context_kwargs = {"neighbours": {"ease": _chain(len(feed_world.index))}}
        return NeighbourSource("ease")

    def test_sums_the_lists_of_the_users_posts(self, feed_world) -> None:
        n = len(feed_world.index)
        history = InteractionLog(np.asarray([7, 7]), feed_world.index.post_ids[[3, 4]],
                                 np.zeros(2, np.int8), np.full(2, np.nan, np.float32),
                                 np.asarray([1, 2]))  # fmt: skip
        ctx = replace(feed_world.context(None), history=history,
                      history_rows=np.asarray([3, 4]), excluded_rows=np.asarray([3, 4]),
                      neighbours={"ease": _chain(n)})  # fmt: skip
        found = NeighbourSource("ease").fetch(ctx, 10)
        public = [r for r in (5, 6) if feed_world.index.public[r]]
        # 5 gets 1 (from 3) + 2 (from 4) = 3, 6 gets 1: 5 first
        assert [c.row for c in found] == public

    def test_without_lists_finds_nothing(self, feed_world) -> None:
        assert NeighbourSource("ease").fetch(feed_world.context(50_001), 10) == []


class TestContentProfile:
    def test_disliked_posts_do_not_pull_the_profile(self, feed_world) -> None:
        liked = int(np.flatnonzero(["calm" in t for t in feed_world.catalog.texts])[0])
        hated = np.flatnonzero(["funny" in t for t in feed_world.catalog.texts])[:5]
        rows = np.r_[hated, liked]
        history = InteractionLog(
            np.full(rows.size, 9, np.int64), feed_world.index.post_ids[rows],
            np.r_[np.full(hated.size, KIND_CODES["rating"]), KIND_CODES["like"]].astype(np.int8),
            np.r_[np.full(hated.size, 5.0), np.nan].astype(np.float32), np.arange(rows.size),
        )  # fmt: skip
        ctx = replace(feed_world.context(None), history=history, history_rows=rows)
        found = ContentSource().fetch(ctx, 10)
        assert all("calm" in feed_world.catalog.texts[c.row] for c in found)


class TestRankWeights:
    def test_learned_weights_replace_the_configs(self, feed_world) -> None:
        ctx = feed_world.context(50_001, weights={"fresh": 5.0, "trending": 0.0})
        lists = [feed_world_source(feed_world, ctx, name) for name in ("trending", "fresh")]
        ranked = rank(ctx, lists, FeedConfig(source_weights={"trending": 5.0, "fresh": 0.1}))
        assert ranked.rows[0] == lists[1][0].row
        assert ranked.reasons[0] == "new"

    def test_overrides_and_the_switch_win_over_learned(self, feed_world) -> None:
        ctx = feed_world.context(50_001, weights={"fresh": 5.0, "trending": 0.0})
        lists = [feed_world_source(feed_world, ctx, name) for name in ("trending", "fresh")]
        off = FeedConfig(use_learned_weights=False, source_weights={"trending": 5.0, "fresh": 0})
        override = FeedConfig(source_weight_overrides={"trending": 9.0, "fresh": 0.0})
        for config in (off, override):
            assert rank(ctx, lists, config).rows[0] == lists[0][0].row


class TestColdPath:
    def test_no_model_and_no_two_tower_when_cold(self, feed_world) -> None:
        model = ToyModel(feed_world.index.post_ids)
        warm = feed_world.context(50_001, model=model)
        cold = replace(warm, cold=True)
        assert TwoTowerSource().fetch(cold, 10) == []
        lists = [feed_world_source(feed_world, cold, "trending")]
        assert MODEL not in gather(cold, lists).columns
        assert MODEL in gather(warm, lists).columns

    def test_two_tower_on_the_cold_path_only_for_histories_the_short_tower_serves(
        self, feed_world
    ) -> None:
        """A cold user with 1..n events the model knows, where its short-history tower serves
        n, gets the model's nearest posts; more events than n, no events, no short tower, or
        only posts newer than the model (in the feed's index, unknown to the model): none."""
        warm = feed_world.context(50_001)
        all_posts = feed_world.index.post_ids

        def cold(n_events: int, short: int, posts: np.ndarray = all_posts) -> FeedContext:
            history = warm.history.select(np.arange(n_events))
            rows = feed_world.index.rows_of(history.post_ids)
            return replace(warm, cold=True, model=ToyModel(posts, short=short), history=history,
                           history_rows=rows, excluded_rows=np.unique(rows))  # fmt: skip

        assert TwoTowerSource().fetch(cold(1, short=2), 10)
        assert TwoTowerSource().fetch(cold(2, short=2), 10)
        assert TwoTowerSource().fetch(cold(3, short=2), 10) == []
        assert TwoTowerSource().fetch(cold(1, short=0), 10) == []
        assert TwoTowerSource().fetch(cold(0, short=2), 10) == []
        newer = np.setdiff1d(all_posts, warm.history.post_ids[:1])  # the model lacks that post
        assert TwoTowerSource().fetch(cold(1, short=2, posts=newer), 10) == []
        assert MODEL not in gather(cold(1, short=2), []).columns  # the ranker stays off

    def test_mood_leads_a_cold_feed(self, feed_world) -> None:
        ctx = feed_world.context(None, mood="funny", cold=True)
        lists = [feed_world_source(feed_world, ctx, n) for n in ("mood", "trending", "fresh")]
        config = FeedConfig(cold_weights={"mood": 3.0, "trending": 0.6, "fresh": 0.1})
        ranked = rank(ctx, lists, config)
        assert all(r.startswith("matches your mood") for r in ranked.reasons[:10])


def feed_world_source(feed_world, ctx, name: str):
    from videorec.serving.candidates import default_sources

    source = next(s for s in default_sources() if s.name == name)
    return source.fetch(ctx, 30)


def test_extras_round_trip_and_re_index(tmp_path, feed_world) -> None:
    ids = feed_world.index.post_ids[:5][::-1].copy()
    ids = np.sort(np.r_[ids, 10**9])  # one post the catalogue lacks
    extras = ServingExtras(ids, {"ease": _chain(6)}, {"ease": 1.5, MODEL: 2.0})
    save_extras(tmp_path, extras)
    loaded = load_extras(tmp_path)
    assert loaded is not None
    assert loaded.weights == {"ease": 1.5, MODEL: 2.0}
    on = loaded.on(feed_world.index)["ease"]
    assert on.shape == (len(feed_world.index),) * 2
    assert on[0, 1] == 2.0
    assert on[3, 4] == 2.0
    assert on.nnz == 7
    assert load_extras(tmp_path / "older-artifact") is None


def test_learned_cold_weights_apply_only_to_the_cold_path() -> None:
    config = FeedConfig(source_weights={"trending": 1.0}, cold_weights={"trending": 2.0})
    learned = {"trending": 3.0, "cold.trending": 4.0}
    assert config.weights_for(learned, cold=False)["trending"] == 3.0
    assert config.weights_for(learned, cold=True)["trending"] == 4.0
    off = config.model_copy(update={"use_learned_weights": False})
    assert off.weights_for(learned, cold=True)["trending"] == 2.0


def test_cold_mood_gives_the_most_popular_posts_tagged_with_it(feed_world) -> None:
    from videorec.serving.candidates import MoodSource

    found = MoodSource().fetch(feed_world.context(None, mood="funny", cold=True), 10)
    rows = [c.row for c in found]
    assert all("funny" in feed_world.catalog.mood_terms[r] for r in rows)
    trend = feed_world.stats.trend[rows]
    assert (np.diff(trend) <= 0).all()
