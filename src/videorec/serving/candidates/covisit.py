"""Item-to-item: posts often engaged with by the same people as the user's recent posts."""

from __future__ import annotations

import numpy as np

from videorec.serving.candidates.base import Candidate, FeedContext

RECENT = 20
"""How many of the user's most recent posts seed the look-up."""


class CovisitSource:
    """Sums the co-occurrence rows of the user's recent posts."""

    name = "covisit"

    def fetch(self, ctx: FeedContext, limit: int) -> list[Candidate]:
        seeds = np.unique(ctx.history_rows[-RECENT:])
        if seeds.size == 0 or limit <= 0:
            return []
        matrix = ctx.stats.covisit
        spans = [slice(matrix.indptr[s], matrix.indptr[s + 1]) for s in seeds.tolist()]
        indices = np.concatenate([matrix.indices[span] for span in spans])
        if indices.size == 0:
            return []
        data = np.concatenate([matrix.data[span] for span in spans])
        rows, inverse = np.unique(indices, return_inverse=True)
        scores = np.bincount(inverse, weights=data).astype(np.float32)
        keep = ctx.admissible(rows.astype(np.int64))
        rows, scores = rows[keep].astype(np.int64), scores[keep]
        order = np.lexsort((rows, -scores))[:limit]
        return ctx.candidates(rows[order], scores[order], self.name, "liked by people like you")
