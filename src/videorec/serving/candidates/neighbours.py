"""Item-to-item neighbour lists fitted at train time (EASE, RP3beta, item-kNN): the sources
that win offline, made servable.

Each list is a CSR matrix over catalogue rows (row i: the posts most related to post i and their
weights, `training/serving_extras.py` keeps the top ones). A user's candidates are the summed
rows of every post of the history the feed reads (`history_limit` events), as the full models
score `x_u · B` over the whole history. The ranking reads the same sum for every post of the
request's pool (`history_scores`), not just for the ones this source proposed.
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


def history_scores(ctx: FeedContext, name: str) -> npt.NDArray[np.float32] | None:
    """shape (m,): x_u · B over the catalogue for list `name`, the sum of the rows of the
    history's posts (computed once per request); None when the artifact has no such list."""
    matrix = ctx.neighbours.get(name)
    if matrix is None:
        return None
    key = f"neighbours:{name}"
    if key not in ctx.memo:
        ctx.memo[key] = summed(matrix, np.unique(ctx.history_rows))
    scores: npt.NDArray[np.float32] = ctx.memo[key]
    return scores


def summed(matrix: sp.csr_matrix, seeds: IntArray) -> npt.NDArray[np.float32]:
    """shape (m,): Σ_{s in seeds} matrix[s], dense."""
    n = matrix.shape[1]
    if seeds.size == 0:
        return np.zeros(n, np.float32)
    spans = [slice(matrix.indptr[s], matrix.indptr[s + 1]) for s in seeds.tolist()]
    indices = np.concatenate([matrix.indices[span] for span in spans])
    data = np.concatenate([matrix.data[span] for span in spans])
    return np.bincount(indices, weights=data, minlength=n).astype(np.float32)


def best_rows(
    ctx: FeedContext, scores: npt.NDArray[np.float32] | None, limit: int
) -> tuple[IntArray, npt.NDArray[np.float32]]:
    """The `limit` best admissible rows with a positive score, best first (ties: lower row)."""
    if scores is None:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    rows = np.flatnonzero(scores > 0).astype(np.int64)
    rows = rows[ctx.admissible(rows)]
    order = np.lexsort((rows, -scores[rows]))[:limit]
    return rows[order], scores[rows[order]]
