"""Trending: the most engaged-with posts, with a time decay (see `serving/popularity.py`)."""

from __future__ import annotations

from videorec.serving.candidates.base import Candidate, FeedContext, walk


class TrendingSource:
    """The popularity order, restricted to the category under a category filter."""

    name = "trending"

    def fetch(self, ctx: FeedContext, limit: int) -> list[Candidate]:
        if limit <= 0:
            return []
        order = ctx.stats.trend_order
        group = ctx.stats.category_top.get(ctx.category_id if ctx.category_id is not None else -1)
        if group is not None:
            order = ctx.stats.by_category.members(group)
        rows = walk(order, ctx, limit)
        reasons = [_reason(ctx, row) for row in rows.tolist()]
        return ctx.candidates(rows, ctx.stats.trend[rows], self.name, reasons)


def _reason(ctx: FeedContext, row: int) -> str:
    name = ctx.index.category_names.get(int(ctx.index.category_ids[row]))
    return f"popular in {name}" if name else "popular now"
