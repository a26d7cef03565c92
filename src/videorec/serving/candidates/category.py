"""Category: popular posts of the filtered category, or of the categories the user engages with."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from videorec.serving.candidates.base import (
    Candidate,
    CandidateList,
    FeedContext,
    rank_scores,
    walk,
)

TOP_CATEGORIES = 3


class CategorySource:
    """Popular posts of the user's favourite categories (or of the filter's category)."""

    name = "category"

    def fetch(self, ctx: FeedContext, limit: int) -> Sequence[Candidate]:
        if limit <= 0:
            return []
        found: list[CandidateList] = []
        categories = self._categories(ctx)
        share = max(1, limit // max(len(categories), 1))
        for category in categories:
            group = ctx.stats.category_top.get(category)
            if group is None:
                continue
            rows = walk(ctx.stats.by_category.members(group), ctx, share)
            name = ctx.index.category_names.get(category, f"category {category}")
            reason = f"popular in {name}" if ctx.category_id else f"from {name}, which you watch"
            found.append(ctx.candidates(rows, rank_scores(rows.shape[0]), self.name, reason))
        return CandidateList.concat(self.name, found, limit)

    @staticmethod
    def _categories(ctx: FeedContext) -> list[int]:
        if ctx.category_id is not None:
            return [ctx.category_id]
        cats = ctx.index.category_ids[ctx.history_rows]
        cats = cats[cats >= 0]
        if cats.size == 0:
            return []
        values, counts = np.unique(cats, return_counts=True)
        order = np.lexsort((values, -counts))[:TOP_CATEGORIES]
        return [int(v) for v in values[order]]
