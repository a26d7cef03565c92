"""Sums of neighbour rows (covisit, EASE, RP3beta, item-kNN) are kept sparse: the same values
as the dense sum over the catalogue they replaced, without a catalogue-sized array per request."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp

from videorec.serving.candidates import neighbours
from videorec.serving.candidates.neighbours import Sums, best_rows, summed


def dense_sum(matrix: sp.csr_matrix, seeds: np.ndarray) -> np.ndarray:
    """The dense sum as it was: one float32 per catalogue row."""
    spans = [slice(matrix.indptr[s], matrix.indptr[s + 1]) for s in seeds.tolist()]
    indices = np.concatenate([matrix.indices[span] for span in spans])
    data = np.concatenate([matrix.data[span] for span in spans])
    return np.bincount(indices, weights=data, minlength=matrix.shape[1]).astype(np.float32)


def dense_best(ctx, scores: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """`best_rows` over the dense sum, as it was."""
    rows = np.flatnonzero(scores > 0).astype(np.int64)
    rows = rows[ctx.admissible(rows)]
    order = np.lexsort((rows, -scores[rows]))[:limit]
    return rows[order], scores[rows[order]]


def _matrix(n: int, seed: int) -> sp.csr_matrix:
    """Random weights, some negative (EASE's are), and repeated values so ties happen."""
    rng = np.random.default_rng(seed)
    dense = rng.integers(-2, 6, (n, n)).astype(np.float32) / 4 * (rng.random((n, n)) < 0.1)
    return sp.csr_matrix(dense)


@pytest.mark.parametrize("dense_above", [neighbours.DENSE_ABOVE, 0.0])  # sparse, then dense path
def test_the_sums_and_the_best_rows_equal_the_dense_sum(feed_world, monkeypatch,
                                                         dense_above: float) -> None:  # fmt: skip
    monkeypatch.setattr(neighbours, "DENSE_ABOVE", dense_above)
    n = len(feed_world.index)
    matrix = _matrix(n, seed=3)
    ctx = feed_world.context(int(feed_world.log.user_ids[0]))
    rng = np.random.default_rng(5)
    every_row = np.arange(n, dtype=np.int64)
    for size in (1, 3, 12):
        seeds = np.unique(rng.integers(0, n, size))
        reference = dense_sum(matrix, seeds)
        sums = summed(matrix, seeds)
        assert sums[every_row].tobytes() == reference.tobytes()  # bit for bit
        shuffled = rng.permutation(np.concatenate([every_row, every_row[:20]]))
        assert np.array_equal(sums[shuffled], reference[shuffled])
        for limit in (1, 10, n):
            rows, scores = best_rows(ctx, sums, limit)
            want_rows, want_scores = dense_best(ctx, reference, limit)
            assert np.array_equal(rows, want_rows)
            assert scores.tobytes() == want_scores.tobytes()


def test_no_seeds_sum_to_zero_everywhere() -> None:
    sums = summed(_matrix(20, seed=1), np.zeros(0, np.int64))
    assert not sums[np.arange(20)].any()
    assert isinstance(sums, Sums)


def test_a_few_seeds_over_a_large_catalogue_allocate_no_catalogue_sized_array() -> None:
    """At 1M posts the dense sum allocated and scanned 8 MB per list and request."""
    n = 2_000_000
    seeds = np.asarray([3, 70, 1_500_000], np.int64)
    counts = np.zeros(n, np.int64)
    counts[seeds] = 50
    indptr = np.concatenate([[0], np.cumsum(counts)])
    indices = np.random.default_rng(0).integers(0, n, 150).astype(np.int32)
    matrix = sp.csr_matrix((np.ones(150, np.float32), indices, indptr), shape=(n, n))
    tracemalloc.start()
    try:
        sums = summed(matrix, seeds)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < n  # bytes: far below one value per catalogue row
    assert sums[indices[:1]][0] >= 1.0
