"""Item-to-item neighbour lists fitted at train time (EASE, RP3beta, item-kNN): the sources
that win offline, made servable.

Each list is a CSR matrix over catalogue rows (row i: the posts most related to post i and their
weights, `training/serving_extras.py` keeps the top ones). A user's candidates are the summed
rows of every post of the history the feed reads (`history_limit` events), as the full models
score `x_u · B` over the whole history.
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
        matrix = ctx.neighbours.get(self.name)
        if matrix is None or limit <= 0:
            return []
        rows, scores = summed_rows(ctx, matrix, np.unique(ctx.history_rows), limit)
        return ctx.candidates(rows, scores, self.name, "related to posts you watched")


def summed_rows(
    ctx: FeedContext, matrix: sp.csr_matrix, seeds: IntArray, limit: int
) -> tuple[IntArray, npt.NDArray[np.float32]]:
    """The `limit` best admissible rows of Σ_{s in seeds} matrix[s], best first (ties: lower)."""
    if seeds.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    spans = [slice(matrix.indptr[s], matrix.indptr[s + 1]) for s in seeds.tolist()]
    indices = np.concatenate([matrix.indices[span] for span in spans])
    if indices.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    data = np.concatenate([matrix.data[span] for span in spans])
    rows, inverse = np.unique(indices, return_inverse=True)
    scores = np.bincount(inverse, weights=data).astype(np.float32)
    keep = ctx.admissible(rows.astype(np.int64)) & (scores > 0)
    rows, scores = rows[keep].astype(np.int64), scores[keep]
    order = np.lexsort((rows, -scores))[:limit]
    return rows[order], scores[order]
