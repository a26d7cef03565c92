"""Trending: the most engaged-with posts, with a time decay (see `serving/popularity.py`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from videorec.serving.candidates.base import Candidate, FeedContext, walk


class TrendingSource:
    """The popularity order, restricted to the category under a category filter."""

    name = "trending"

    def fetch(self, ctx: FeedContext, limit: int) -> Sequence[Candidate]:
        if limit <= 0:
            return []
        order = ctx.stats.trend_order
        group = ctx.stats.category_top.get(ctx.category_id if ctx.category_id is not None else -1)
        if group is not None:
            order = ctx.stats.by_category.members(group)
        rows = walk(order, ctx, limit)
        names = ctx.index.category_names
        by_category = {c: f"popular in {names[c]}" if c in names else "popular now"
                       for c in np.unique(ctx.index.category_ids[rows]).tolist()}  # fmt: skip
        reasons = [by_category[c] for c in ctx.index.category_ids[rows].tolist()]
        return ctx.candidates(rows, ctx.stats.trend[rows], self.name, reasons)
