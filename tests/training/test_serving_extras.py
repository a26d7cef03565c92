"""Train-time pieces of the served feed: neighbour lists and the learned blend weights."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from videorec.serving.ranking import Pool
from videorec.training.serving_extras import (
    Example,
    _Stacked,
    learn_weights,
    sparse_item_knn,
    top_per_row,
    tuning_users,
)


def _example(rng: np.random.Generator, size: int = 40) -> Example:
    """A pool where column "good" ranks the one held-out post first and "noise" is random."""
    rows = np.arange(size, dtype=np.int64)
    hit = int(rng.integers(size))
    good = rng.random(size).astype(np.float32) * 0.5
    good[hit] = 1.0
    signals = np.stack([good, rng.random(size).astype(np.float32)], axis=1)
    reasons = np.full((size, 2), "", dtype=object)
    pool = Pool(rows, ("good", "noise"), signals, reasons)
    return Example(pool, rows == hit, 1)


class TestLearnWeights:
    def test_finds_the_informative_column(self) -> None:
        rng = np.random.default_rng(0)
        examples = [_example(rng) for _ in range(30)]
        weights, objective = learn_weights(examples, {"good": 0.5, "noise": 0.5})
        assert weights["good"] > 0
        assert weights["noise"] == 0.0
        assert objective > 1.0  # NDCG@10 = 1 plus 0.25 x Recall@50 = 1

    def test_only_moves_the_named_columns(self) -> None:
        rng = np.random.default_rng(1)
        examples = [_example(rng) for _ in range(30)]
        weights, _ = learn_weights(examples, {"good": 0.5, "noise": 0.5}, only=("noise",))
        assert weights == {"good": 0.5, "noise": 0.0}

    def test_serves_the_best_single_column_when_a_blend_wins_by_less_than_its_noise(self) -> None:
        """The list b helps 2 of 10 users and hurts 1: the blend gains 3 % of the objective on
        them (enough for a move), but learned on half the users it does not win on the other."""
        examples = [_pair("wrong"), _pair("wrong"), _pair("broken")]
        examples += [_pair("neutral") for _ in range(7)]
        weights, _ = learn_weights(examples, {"a": 1.0, "b": 0.0})
        assert weights == {"a": 1.0, "b": 0.0}

    def test_without_the_held_out_check_the_noisy_blend_is_kept(self) -> None:
        """The cold path's learning skips the check: the same users then get the blend."""
        examples = [_pair("wrong"), _pair("wrong"), _pair("broken")]
        examples += [_pair("neutral") for _ in range(7)]
        weights, _ = learn_weights(examples, {"a": 1.0, "b": 0.0}, held_out_check=False)
        assert weights["b"] > 0

    def test_keeps_a_blend_that_wins_beyond_its_noise(self) -> None:
        """b fixes 20 of 40 users and hurts none: learned on either half, the blend wins on the
        other by more than 2 standard errors, so it is served."""
        examples = [_pair("wrong") for _ in range(20)] + [_pair("neutral") for _ in range(20)]
        weights, _ = learn_weights(examples, {"a": 1.0, "b": 0.0})
        assert weights["a"] > 0
        assert weights["b"] > 0


def _pair(kind: str) -> Example:
    """A two-post pool whose held-out post is row 0. Column a ranks it first unless `kind` is
    "wrong"; b points at it for "wrong", at the other post for "broken" and "neutral" (weakly)."""
    a = {"wrong": [0.2, 0.8]}.get(kind, [0.8, 0.2])
    b = {"wrong": [1.0, 0.0], "broken": [0.0, 1.0]}.get(kind, [0.0, 0.5])
    signals = np.asarray([a, b], np.float32).T
    rows = np.arange(2, dtype=np.int64)
    pool = Pool(rows, ("a", "b"), signals, np.full((2, 2), "", dtype=object))
    return Example(pool, rows == 0, 1)


class TestNeighbourLists:
    def test_top_per_row_keeps_the_k_largest_by_magnitude(self) -> None:
        dense = np.asarray([[0, 3, -4, 2], [1, 0, 0, 0], [0, 0, 0, 0]], np.float32)
        kept = top_per_row(dense, 2).toarray()
        np.testing.assert_array_equal(kept, [[0, 3, -4, 0], [1, 0, 0, 0], [0, 0, 0, 0]])
        np.testing.assert_array_equal(top_per_row(sp.csr_matrix(dense), 1).toarray(),
                                      [[0, 0, -4, 0], [1, 0, 0, 0], [0, 0, 0, 0]])  # fmt: skip

    def test_sparse_item_knn_links_co_watched_posts(self) -> None:
        x = sp.csr_matrix(np.asarray([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1]], np.float32))
        sim = sparse_item_knn(x, k=1, shrink=0.0).toarray()
        assert sim[0, 1] > 0.99
        assert sim[2, 3] > 0.99
        assert sim[0, 2] == 0
        assert np.diag(sim).sum() == 0


class TestTuningUsers:
    def _valid(self, users: int, posts: int = 50) -> sp.csr_matrix:
        rng = np.random.default_rng(3)
        dense = (rng.random((users, posts)) < 0.1).astype(np.float32)
        dense[::4] = 0  # users without held-out posts
        return sp.csr_matrix(dense)

    def test_at_most_the_limit_of_users_keep_their_held_out_posts_unchanged(self) -> None:
        valid = self._valid(400)
        sampled = tuning_users(valid, 50, seed=1)
        kept = np.flatnonzero(np.diff(sampled.indptr) > 0)
        assert kept.size == 50
        assert sampled.shape == valid.shape
        for u in kept.tolist():
            np.testing.assert_array_equal(sampled[u].toarray(), valid[u].toarray())

    def test_the_sample_is_seeded_and_small_splits_are_untouched(self) -> None:
        valid = self._valid(400)
        a, b = tuning_users(valid, 50, seed=1), tuning_users(valid, 50, seed=1)
        assert (a != b).nnz == 0
        assert (tuning_users(valid, 50, seed=2) != a).nnz > 0
        assert tuning_users(valid, 10_000) is valid


class TestObjective:
    def test_equals_the_per_user_definition(self) -> None:
        rng = np.random.default_rng(3)
        examples = []
        for size in (3, 12, 60, 1):
            rows = np.arange(size, dtype=np.int64)
            signals = np.round(rng.random((size, 2)), 1).astype(np.float32)  # ties on purpose
            hits = rng.random(size) < 0.3
            pool = Pool(rows, ("a", "b"), signals, np.full((size, 2), "", dtype=object))
            examples.append(Example(pool, hits, int(hits.sum()) + 1))
        weights = np.asarray([1.0, 0.5], np.float32)
        expected = 0.0
        for e in examples:
            order = np.argsort(-(e.pool.signals @ weights), kind="stable")
            ranked = e.hits[order]
            dcg = sum(1 / np.log2(p + 2) for p in range(min(10, ranked.size)) if ranked[p])
            idcg = sum(1 / np.log2(p + 2) for p in range(min(e.n_truth, 10)))
            expected += dcg / idcg + 0.25 * ranked[:50].sum() / e.n_truth
        got = _Stacked(examples, ["a", "b"]).objective(weights)
        assert got == pytest.approx(expected / len(examples), abs=1e-12)
