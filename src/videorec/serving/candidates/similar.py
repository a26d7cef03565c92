"""Shared step of the content and mood sources: nearest distinct texts, expanded to their posts."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from videorec.serving.candidates.base import FeedContext, IntArray
from videorec.serving.groups import Groups
from videorec.serving.index import Matrix
from videorec.serving.text_search import CompressedTexts, TextQuery


def nearest_rows(
    ctx: FeedContext,
    vectors: Matrix,
    groups: Groups,
    query: Matrix,
    limit: int,
    compressed: CompressedTexts | None = None,
) -> tuple[IntArray, npt.NDArray[np.float32]]:
    """Admissible rows whose group vector is closest to `query`, best first.

    Args:
        vectors: shape (g, 384), one unit vector per group.
        groups: group -> rows.
        query: shape (384,), a unit vector.
        compressed: `vectors` compressed (`text_search.py`; the catalogue index has them past
            `text_search.EXACT_UP_TO` texts): candidates are chosen by it, then scored exactly.

    Returns:
        rows shape (k,), k <= limit, and their cosine similarity shape (k,).
    """
    if vectors.shape[0] == 0 or limit <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    texts = TextQuery(vectors, compressed, query)
    order, sims = texts.best(4 * limit)  # every group has a member: enough groups
    rows, owner = groups.expand(order, 4 * limit)
    keep = ctx.admissible(rows)
    if keep.sum() < limit and rows.shape[0] < groups.rows.shape[0]:
        order, sims = texts.best(64 * limit)  # filters removed many: look further
        rows, owner = groups.expand(order, 64 * limit)
        keep = ctx.admissible(rows)
    return rows[keep][:limit], sims[owner[keep]][:limit]
