"""Item-to-item: posts often engaged with by the same people as the user's recent posts."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from videorec.serving.candidates.base import Candidate, FeedContext
from videorec.serving.candidates.neighbours import summed_rows

RECENT = 20
"""How many of the user's most recent posts seed the look-up."""


class CovisitSource:
    """Sums the co-occurrence rows of the user's recent posts."""

    name = "covisit"

    def fetch(self, ctx: FeedContext, limit: int) -> Sequence[Candidate]:
        if limit <= 0:
            return []
        seeds = np.unique(ctx.history_rows[-RECENT:])
        rows, scores = summed_rows(ctx, ctx.stats.covisit, seeds, limit)
        return ctx.candidates(rows, scores, self.name, "liked by people like you")
