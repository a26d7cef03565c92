"""Shared step of the content and mood sources: nearest distinct texts, expanded to their posts."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from videorec.serving.candidates.base import FeedContext, IntArray
from videorec.serving.groups import Groups
from videorec.serving.index import Matrix
from videorec.serving.text_search import InvertedFile, nearest_texts


def nearest_rows(
    ctx: FeedContext,
    vectors: Matrix,
    groups: Groups,
    query: Matrix,
    limit: int,
    ivf: InvertedFile | None = None,
) -> tuple[IntArray, npt.NDArray[np.float32]]:
    """Admissible rows whose group vector is closest to `query`, best first.

    Args:
        vectors: shape (g, 384), one unit vector per group.
        groups: group -> rows.
        query: shape (384,), a unit vector.
        ivf: an inverted file over `vectors` (`text_search.py`): search it instead of every
            vector (the catalogue index has one past `text_search.EXACT_UP_TO` texts).

    Returns:
        rows shape (k,), k <= limit, and their cosine similarity shape (k,).
    """
    if vectors.shape[0] == 0 or limit <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    order, sims = nearest_texts(vectors, ivf, query, 4 * limit)  # each group has a member
    rows, owner = groups.expand(order, 4 * limit)
    keep = ctx.admissible(rows)
    if keep.sum() < limit and rows.shape[0] < groups.rows.shape[0]:
        # filters removed many: look further (an inverted file scans 8x the clusters)
        order, sims = nearest_texts(vectors, ivf, query, 64 * limit, widen=8)
        rows, owner = groups.expand(order, 64 * limit)
        keep = ctx.admissible(rows)
    return rows[keep][:limit], sims[owner[keep]][:limit]
