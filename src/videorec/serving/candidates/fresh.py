"""Fresh: the newest posts."""

from __future__ import annotations

from collections.abc import Sequence

from videorec.serving.candidates.base import Candidate, FeedContext, rank_scores, walk


class FreshSource:
    """Newest first."""

    name = "fresh"

    def fetch(self, ctx: FeedContext, limit: int) -> Sequence[Candidate]:
        if limit <= 0:
            return []
        rows = walk(ctx.index.fresh_order, ctx, limit)
        return ctx.candidates(rows, rank_scores(rows.shape[0]), self.name, "new")
