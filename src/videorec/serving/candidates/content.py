"""Content: posts whose text embedding is close to the posts the user engaged with."""

from __future__ import annotations

import numpy as np

from videorec.serving.candidates.base import Candidate, FeedContext
from videorec.serving.candidates.similar import nearest_rows

RECENT = 50
"""How many recent events make the user's content profile."""


class ContentSource:
    """Nearest posts to the mean text vector of the user's recent posts (likes count double)."""

    name = "content"

    def fetch(self, ctx: FeedContext, limit: int) -> list[Candidate]:
        rows = ctx.history_rows[-RECENT:]
        if rows.size == 0 or limit <= 0:
            return []
        profile = ctx.index.row_vectors(rows).mean(axis=0)
        norm = float(np.linalg.norm(profile))
        if norm == 0.0:
            return []
        found, sims = nearest_rows(
            ctx, ctx.index.text_vecs, ctx.index.text_groups, profile / norm, limit
        )
        return ctx.candidates(found, sims, self.name, "similar to posts you liked")
