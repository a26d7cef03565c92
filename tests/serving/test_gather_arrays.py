"""`ranking.gather` reads the sources' candidates as arrays: the same pool as the per-candidate
code it replaced (kept below as the reference), and lists of `Candidate`s still work."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse as sp

from tests.serving.toy_model import ToyModel
from videorec.serving.candidates import Candidate, default_sources
from videorec.serving.candidates.base import CandidateList, FeedContext, rank_scores
from videorec.serving.candidates.neighbours import history_scores
from videorec.serving.config import FeedConfig
from videorec.serving.ranking import MODEL, POPULARITY, SCORED, Pool, gather, order, rank


def reference_gather(ctx: FeedContext, lists: list[list[Candidate]]) -> Pool:
    """`gather` as it was, one `Candidate` object at a time."""
    lists = [cands for cands in lists if cands]
    columns = tuple(cands[0].source for cands in lists)
    found = [c for cands in lists for c in cands]
    all_rows = np.fromiter((c.row for c in found), dtype=np.int64, count=len(found))
    rows, inverse = np.unique(all_rows, return_inverse=True)
    use_model = ctx.model is not None and not ctx.cold and rows.size > 0
    width = len(columns) + int(use_model) + 1
    signals = np.zeros((rows.size, width), np.float32)
    reasons = np.full((rows.size, width), "", dtype=object)
    column = np.repeat(np.arange(len(lists)), [len(cands) for cands in lists])

    def signal(cands: list[Candidate]) -> np.ndarray:
        if cands[0].source in SCORED:
            scores = np.fromiter((c.score for c in cands), np.float32, count=len(cands))
            top = float(scores.max(initial=0.0))
            if top > 0:
                return np.clip(scores / top, 0.0, 1.0).astype(np.float32)
        return rank_scores(len(cands))

    parts = np.concatenate([signal(cands) for cands in lists]) if lists else column
    np.add.at(signals, (inverse, column), parts)
    reasons[inverse[::-1], column[::-1]] = [c.reason for c in reversed(found)]
    for i, name in enumerate(columns):  # a neighbour list scores every pool row
        full = history_scores(ctx, name) if name in ctx.neighbours else None
        if full is not None:
            mine = full[rows]
            top = float(mine.max(initial=0.0))
            signals[:, i] = np.clip(mine / top, -1, 1) if top > 0 else mine * 0
    if use_model:
        assert ctx.model is not None
        raw = np.asarray(ctx.model.score(ctx.user_id, ctx.history, ctx.index.post_ids[rows]))
        ranks = np.empty(rows.size, dtype=np.float32)
        ranks[np.argsort(-raw, kind="stable")] = rank_scores(rows.size)
        signals[:, -2] = ranks
        columns = (*columns, MODEL)
    trend = ctx.stats.trend
    signals[:, -1] = trend[rows] / max(float(trend.max(initial=0)), 1e-6)
    return Pool(rows, (*columns, POPULARITY), signals, reasons)


def _neighbours(n: int, seed: int) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    dense = rng.random((n, n)) * (rng.random((n, n)) < 0.05)
    return sp.csr_matrix(dense.astype(np.float32))


def _contexts(feed_world) -> list[FeedContext]:
    n = len(feed_world.index)
    model = ToyModel(feed_world.index.post_ids)
    lists = {name: _neighbours(n, i) for i, name in enumerate(("ease", "rp3beta", "item_knn"))}
    users = np.unique(feed_world.log.user_ids)[:6].tolist()
    found = [replace(feed_world.context(int(u)), model=model, neighbours=lists) for u in users]
    found.append(feed_world.context(None, mood="funny"))  # cold, with a mood
    found.append(replace(feed_world.context(int(users[0]), category_id=3), model=model))
    return found


class TestGatherArrays:
    def test_the_pool_and_the_ranking_equal_the_per_candidate_code(self, feed_world) -> None:
        config = FeedConfig()
        for ctx in _contexts(feed_world):
            lists = [source.fetch(ctx, config.limit(source.name)) for source in default_sources()]
            assert any(isinstance(cands, CandidateList) for cands in lists)
            got = gather(ctx, lists)
            want = reference_gather(ctx, [list(cands) for cands in lists])
            assert got.columns == want.columns
            np.testing.assert_array_equal(got.rows, want.rows)
            np.testing.assert_array_equal(got.signals, want.signals)
            assert got.reasons.tolist() == want.reasons.tolist()
            as_objects = rank(ctx, [list(cands) for cands in lists], config)
            as_arrays = rank(ctx, lists, config)
            np.testing.assert_array_equal(as_arrays.post_ids, as_objects.post_ids)
            np.testing.assert_array_equal(as_arrays.scores, as_objects.scores)
            assert as_arrays.reasons == as_objects.reasons

    def test_a_candidate_list_reads_like_a_list_of_candidates(self, feed_world) -> None:
        ctx = feed_world.context(None)
        rows = np.asarray([4, 2, 9])
        found = ctx.candidates(rows, np.asarray([3.0, 2.0, 1.0]), "trending", ["a", "b", "c"])
        assert len(found) == 3
        assert found
        assert found[1] == Candidate(2, int(feed_world.index.post_ids[2]), "trending", 2.0, "b")
        assert [c.row for c in found] == [4, 2, 9]
        assert found[:2] == list(found)[:2]
        assert ctx.candidates(rows[:0], np.zeros(0), "fresh", "new") == []
        with pytest.raises(ValueError, match="one reason per row"):
            ctx.candidates(rows, np.ones(3), "trending", ["a"])

    def test_the_pools_proposed_mask_is_where_a_source_gave_a_reason(self, feed_world) -> None:
        config = FeedConfig()
        for ctx in _contexts(feed_world):
            lists = [source.fetch(ctx, config.limit(source.name)) for source in default_sources()]
            got = gather(ctx, lists)
            assert got.proposed is not None
            np.testing.assert_array_equal(got.proposed, got.reasons != "")
            weights = np.linspace(0.2, 1.0, len(got.columns), dtype=np.float32)
            with_mask = order(ctx, got, weights)
            from_reasons = order(ctx, replace(got, proposed=None), weights)
            np.testing.assert_array_equal(with_mask.post_ids, from_reasons.post_ids)
            assert with_mask.reasons == from_reasons.reasons

    def test_an_empty_reason_is_not_a_proposal(self, feed_world) -> None:
        ctx = feed_world.context(None)
        rows = np.asarray([4, 2, 9])
        listed = ctx.candidates(rows, np.ones(3), "trending", ["a", "", "c"])
        blank = ctx.candidates(rows[:1], np.ones(1), "fresh", "")
        pool = gather(ctx, [listed, blank])  # rows 2, 4, 9
        assert pool.proposed is not None
        assert pool.proposed[:, :2].tolist() == [[False, False], [True, False], [True, False]]
