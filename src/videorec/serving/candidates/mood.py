"""Mood: posts whose analysed moods are close, in text-embedding space, to the requested mood."""

from __future__ import annotations

from videorec.serving.candidates.base import Candidate, FeedContext
from videorec.serving.candidates.similar import nearest_rows


class MoodSource:
    """Nearest posts to the free-text `mood` (only when the request gives one)."""

    name = "mood"

    def fetch(self, ctx: FeedContext, limit: int) -> list[Candidate]:
        if ctx.mood_vector is None or not ctx.mood or limit <= 0:
            return []
        rows, sims = nearest_rows(
            ctx, ctx.index.mood_vecs, ctx.index.mood_groups, ctx.mood_vector, limit
        )
        return ctx.candidates(rows, sims, self.name, f"matches your mood: {ctx.mood}")
