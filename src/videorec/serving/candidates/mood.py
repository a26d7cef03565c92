"""Mood: posts whose analysed moods are close, in text-embedding space, to the requested mood."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from videorec.serving.candidates.base import Candidate, FeedContext
from videorec.serving.candidates.similar import nearest_rows

COLD_MARGIN = 0.15
"""On the cold path the mood source keeps the matches within this cosine of the best one, most
popular first."""


class MoodSource:
    """Nearest posts to the free-text `mood` (only when the request gives one).

    On the cold path (nothing else is known of the user) it proposes popular posts in that mood,
    not the most obscure ones whose analysis happens to be closest: the posts whose analysed
    mood words include the mood itself, most popular first; when none do (a free-text mood),
    the close embedding matches (within `COLD_MARGIN` of the best), most popular first.
    """

    name = "mood"

    def fetch(self, ctx: FeedContext, limit: int) -> Sequence[Candidate]:
        if ctx.mood_vector is None or not ctx.mood or limit <= 0:
            return []
        if ctx.cold:
            tagged = _tagged_rows(ctx, ctx.mood)
            if tagged.size:
                order = np.lexsort((tagged, -ctx.stats.trend[tagged]))[:limit]
                rows = tagged[order]
                return ctx.candidates(rows, ctx.stats.trend[rows], self.name,
                                      f"matches your mood: {ctx.mood}")  # fmt: skip
        rows, sims = nearest_rows(
            ctx, ctx.index.mood_vecs, ctx.index.mood_groups, ctx.mood_vector, limit
        )
        if ctx.cold and rows.size:
            close = sims >= sims[0] - COLD_MARGIN
            rows, sims = rows[close], sims[close]
            order = np.lexsort((rows, -ctx.stats.trend[rows]))
            rows, sims = rows[order], sims[order]
        return ctx.candidates(rows, sims, self.name, f"matches your mood: {ctx.mood}")


def _tagged_rows(ctx: FeedContext, mood: str) -> np.ndarray:
    """Admissible rows whose mood words contain `mood` as a whole word (or words)."""
    needle = f" {mood} "
    groups = [g for g, label in enumerate(ctx.index.mood_labels) if needle in f" {label} "]
    if not groups:
        return np.zeros(0, np.int64)
    rows = np.concatenate([ctx.index.mood_groups.members(g) for g in groups]).astype(np.int64)
    return np.unique(rows[ctx.admissible(rows)])
