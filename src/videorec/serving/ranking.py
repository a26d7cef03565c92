"""Merge the sources' candidates and rank them: the active model's score, else a blend of sources.

Every source's list is turned into rank scores (1 for its best, ~0 for its last) and blended with
the configured source weights; an active model adds its own rank score with weight `model`. The
reason of a post is that of the source that contributed most to its score.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from videorec.serving.candidates.base import Candidate, FeedContext, rank_scores
from videorec.serving.config import FeedConfig

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Ranked:
    """Ranked posts, best first: rows, post ids, scores (all shape (k,)) and reasons."""

    rows: IntArray
    post_ids: IntArray
    scores: npt.NDArray[np.float32]
    reasons: list[str]


def rank(ctx: FeedContext, lists: list[list[Candidate]], config: FeedConfig) -> Ranked:
    """Merge, de-duplicate and score the candidates of every source."""
    found = [c for cands in lists for c in cands]
    if not found:
        empty = np.zeros(0, dtype=np.int64)
        return Ranked(empty, empty, np.zeros(0, dtype=np.float32), [])
    parts = np.concatenate([config.weight(cands[0].source) * rank_scores(len(cands))
                            for cands in lists if cands])  # fmt: skip
    all_rows = np.fromiter((c.row for c in found), dtype=np.int64, count=len(found))
    rows, inverse = np.unique(all_rows, return_inverse=True)
    scores = np.bincount(inverse, weights=parts, minlength=rows.size).astype(np.float32)
    best = np.lexsort((-parts, inverse))  # per row, its largest contribution first
    first = best[np.searchsorted(inverse[best], np.arange(rows.size))]
    scores += 0.05 * ctx.stats.trend[rows] / max(float(ctx.stats.trend.max(initial=0)), 1e-6)
    if ctx.model is not None and rows.size:
        scores += config.weight("model") * _model_rank(ctx, rows)
    order = np.lexsort((rows, -scores))
    return Ranked(
        rows=rows[order],
        post_ids=ctx.index.post_ids[rows[order]],
        scores=scores[order],
        reasons=[found[i].reason for i in first[order].tolist()],
    )


def _model_rank(ctx: FeedContext, rows: IntArray) -> npt.NDArray[np.float32]:
    """The model's score of each row as a rank score in [0, 1] (robust to the model's scale)."""
    assert ctx.model is not None
    raw = np.asarray(
        ctx.model.score(ctx.user_id, ctx.history, ctx.index.post_ids[rows]), dtype=np.float32
    )
    ranks = np.empty(rows.size, dtype=np.float32)
    ranks[np.argsort(-raw, kind="stable")] = rank_scores(rows.size)
    return ranks
