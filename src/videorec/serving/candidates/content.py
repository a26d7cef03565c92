"""Content: posts whose text embedding is close to the posts the user engaged with."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from videorec.features.signals import SignalWeights
from videorec.serving.candidates.base import Candidate, FeedContext
from videorec.serving.candidates.similar import nearest_rows

RECENT = 50
"""How many recent events make the user's content profile."""
SIGNALS = SignalWeights()


class ContentSource:
    """Nearest posts to the user's content profile: the signal-weighted mean text vector of their
    recent events (a like counts double a view, an inspire or high rating triple; disliked posts,
    rated under `SignalWeights.low_below`, are left out)."""

    name = "content"

    def fetch(self, ctx: FeedContext, limit: int) -> Sequence[Candidate]:
        history = ctx.history.select(np.arange(max(0, len(ctx.history) - RECENT), len(ctx.history)))
        rows = ctx.index.rows_of(history.post_ids)
        weights = np.clip(SIGNALS.of(history.kinds, history.ratings), 0.0, None)
        keep = (rows >= 0) & (weights > 0)
        if not keep.any() or limit <= 0:
            return []
        vectors = ctx.index.row_vectors(rows[keep])
        profile = (weights[keep, None] * vectors).sum(axis=0)
        norm = float(np.linalg.norm(profile))
        if norm == 0.0:
            return []
        index = ctx.index
        found, sims = nearest_rows(
            ctx, index.text_vecs, index.text_groups, profile / norm, limit, index.text_compressed
        )
        return ctx.candidates(found, sims, self.name, "similar to posts you liked")
