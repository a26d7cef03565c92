"""Item-to-item neighbour lists fitted at train time (EASE, RP3beta, item-kNN): the sources
that win offline, made servable.

Each list is a CSR matrix over catalogue rows (row i: the posts most related to post i and their
weights, `training/serving_extras.py` keeps the top ones). A user's candidates are the summed
rows of every post of the history the feed reads (`history_limit` events), as the full models
score `x_u · B` over the whole history. The ranking reads the same sum for every post of the
request's pool (`history_scores`), not just for the ones this source proposed.

A sum is kept sparse (`Sums`: the posts the summed rows hold, and their sums), not as a dense
vector over the catalogue: at 1M posts a dense sum built and scanned 1M values per list and
request (covisit alone: 2.4-3.4 ms of a new session's CPU, bench/results/2026-11-28-tail-g.md),
where a few seeds' rows hold a few hundred entries.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from videorec.serving.candidates.base import Candidate, FeedContext, IntArray

NEIGHBOUR_SOURCES = ("ease", "rp3beta", "item_knn")
"""The neighbour-list sources training may fit, in merge order."""


class NeighbourSource:
    """Sums the neighbour lists of the user's recent posts; nothing when the artifact has none.

    Args:
        name: the list's name in `FeedContext.neighbours` (and in weights and reasons).
    """

    def __init__(self, name: str) -> None:
        self.name = name

    def fetch(self, ctx: FeedContext, limit: int) -> Sequence[Candidate]:
        if self.name not in ctx.neighbours or limit <= 0:
            return []
        rows, scores = best_rows(ctx, history_scores(ctx, self.name), limit)
        return ctx.candidates(rows, scores, self.name, "related to posts you watched")


def summed_rows(
    ctx: FeedContext, matrix: sp.csr_matrix, seeds: IntArray, limit: int
) -> tuple[IntArray, npt.NDArray[np.float32]]:
    """The `limit` best admissible rows of Σ_{s in seeds} matrix[s], best first (ties: lower)."""
    return best_rows(ctx, summed(matrix, seeds), limit)


def history_scores(ctx: FeedContext, name: str) -> Sums | None:
    """x_u · B over the catalogue for list `name`, the sum of the rows of the history's posts
    (computed once per request); None when the artifact has no such list."""
    matrix = ctx.neighbours.get(name)
    if matrix is None:
        return None
    key = f"neighbours:{name}"
    if key not in ctx.memo:
        ctx.memo[key] = summed(matrix, np.unique(ctx.history_rows))
    scores: Sums = ctx.memo[key]
    return scores


class Sums:
    """A sum of CSR rows over the catalogue, kept sparse: `sums[rows]` reads it as the dense
    vector would (0 where no summed row holds a post) without building that vector.

    Attributes:
        rows: shape (k,), ascending: catalogue rows where the sum may be non-zero.
        sums: shape (k,), the sum at each of `rows`.
    """

    __slots__ = ("rows", "sums")

    def __init__(self, rows: IntArray, sums: npt.NDArray[np.float32]) -> None:
        self.rows, self.sums = rows, sums

    def __getitem__(self, rows: IntArray) -> npt.NDArray[np.float32]:
        """The sum at each of `rows` (any order, repeats allowed), shape like `rows`."""
        rows = np.asarray(rows, dtype=np.int64)
        if self.rows.size == 0:
            return np.zeros(rows.shape, np.float32)
        at = np.minimum(np.searchsorted(self.rows, rows), self.rows.size - 1)
        found: npt.NDArray[np.float32] = np.where(self.rows[at] == rows, self.sums[at],
                                                   np.float32(0)).astype(np.float32)  # fmt: skip
        return found


DENSE_ABOVE = 1 / 16
"""A sum whose rows hold more entries than this share of the catalogue is added up densely
(one pass over the catalogue), where sorting them would cost more."""


def summed(matrix: sp.csr_matrix, seeds: IntArray) -> Sums:
    """Σ_{s in seeds} matrix[s]. Each post's sum adds the same float64 terms in the same order
    as a dense `np.bincount` over the catalogue, so the values are bit-identical to it."""
    n = matrix.shape[1]
    if seeds.size == 0:
        return Sums(np.zeros(0, np.int64), np.zeros(0, np.float32))
    spans = [slice(matrix.indptr[s], matrix.indptr[s + 1]) for s in seeds.tolist()]
    indices = np.concatenate([matrix.indices[span] for span in spans])
    data = np.concatenate([matrix.data[span] for span in spans])
    if indices.size > DENSE_ABOVE * n:
        dense = np.bincount(indices, weights=data, minlength=n).astype(np.float32)
        rows = np.flatnonzero(dense).astype(np.int64)
        return Sums(rows, dense[rows])
    rows, inverse = np.unique(indices, return_inverse=True)
    sums = np.bincount(inverse, weights=data, minlength=rows.size).astype(np.float32)
    return Sums(rows.astype(np.int64), sums)


def best_rows(
    ctx: FeedContext, scores: Sums | None, limit: int
) -> tuple[IntArray, npt.NDArray[np.float32]]:
    """The `limit` best admissible rows with a positive score, best first (ties: lower row)."""
    if scores is None:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    positive = scores.sums > 0
    rows, sums = scores.rows[positive], scores.sums[positive]
    keep = ctx.admissible(rows)
    rows, sums = rows[keep], sums[keep]
    order = np.lexsort((rows, -sums))[:limit]
    return rows[order], sums[order]
