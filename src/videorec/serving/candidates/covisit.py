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
        block = ctx.stats.covisit[seeds]
        if block.nnz == 0:
            return []
        rows, inverse = np.unique(block.indices, return_inverse=True)
        scores = np.bincount(inverse, weights=block.data).astype(np.float32)
        keep = ctx.admissible(rows.astype(np.int64))
        rows, scores = rows[keep].astype(np.int64), scores[keep]
        order = np.lexsort((rows, -scores))[:limit]
        return ctx.candidates(rows[order], scores[order], self.name, "liked by people like you")
