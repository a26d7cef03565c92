"""Mood: posts whose analysed moods are close, in text-embedding space, to the requested mood."""

from __future__ import annotations

import numpy as np

from videorec.serving.candidates.base import Candidate, FeedContext
from videorec.serving.candidates.similar import nearest_rows

COLD_MARGIN = 0.15
"""On the cold path the mood source keeps the matches within this cosine of the best one, most
popular first."""


class MoodSource:
    """Nearest posts to the free-text `mood` (only when the request gives one).

    On the cold path (nothing else is known of the user) the close matches (within
    `COLD_MARGIN` of the best) are ordered by time-decayed popularity instead: popular posts in
    that mood, not the most obscure ones whose analysis happens to be closest.
    """

    name = "mood"

    def fetch(self, ctx: FeedContext, limit: int) -> list[Candidate]:
        if ctx.mood_vector is None or not ctx.mood or limit <= 0:
            return []
        rows, sims = nearest_rows(
            ctx, ctx.index.mood_vecs, ctx.index.mood_groups, ctx.mood_vector, limit
        )
        if ctx.cold and rows.size:
            close = sims >= sims[0] - COLD_MARGIN
            rows, sims = rows[close], sims[close]
            order = np.lexsort((rows, -ctx.stats.trend[rows]))
            rows, sims = rows[order], sims[order]
        return ctx.candidates(rows, sims, self.name, f"matches your mood: {ctx.mood}")
