"""Two-tower retrieval: the active model's ANN (or exact) nearest posts to the user's vector."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from videorec.serving.candidates.base import Candidate, FeedContext


class TwoTowerSource:
    """Nearest posts by the model's user and post towers; nothing when no model is active. On
    the cold path only for users whose few known events the model's short-history tower serves
    (kept on validation for exactly them): an out-of-vocabulary user vector must not fill a cold
    feed."""

    name = "two_tower"

    def fetch(self, ctx: FeedContext, limit: int) -> Sequence[Candidate]:
        if ctx.model is None or limit <= 0 or (ctx.cold and not _short_history(ctx)):
            return []
        want = limit + int(ctx.excluded_rows.shape[0])
        post_ids, sims = ctx.model.retrieve(ctx.user_id, ctx.history, want)
        rows = ctx.index.rows_of(np.asarray(post_ids, dtype=np.int64))
        known = rows >= 0
        rows, sims = rows[known], np.asarray(sims, dtype=np.float32)[known]
        keep = ctx.admissible(rows)
        rows, sims = rows[keep][:limit], sims[keep][:limit]
        return ctx.candidates(rows, sims, self.name, "picked for you")


def _short_history(ctx: FeedContext) -> bool:
    """A cold user whose few events the model's short-history tower serves (the model counts
    them: a post newer than the model is in the feed's index but unknown to the model)."""
    assert ctx.model is not None
    return ctx.model.serves_short_history(ctx.history)
