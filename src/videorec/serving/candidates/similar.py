"""Shared step of the content and mood sources: nearest distinct texts, expanded to their posts."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from videorec.serving.candidates.base import FeedContext, IntArray
from videorec.serving.groups import Groups
from videorec.serving.index import Matrix


def nearest_rows(
    ctx: FeedContext, vectors: Matrix, groups: Groups, query: Matrix, limit: int
) -> tuple[IntArray, npt.NDArray[np.float32]]:
    """Admissible rows whose group vector is closest to `query`, best first.

    Args:
        vectors: shape (g, 384), one unit vector per group.
        groups: group -> rows.
        query: shape (384,), a unit vector.

    Returns:
        rows shape (k,), k <= limit, and their cosine similarity shape (k,).
    """
    if vectors.shape[0] == 0 or limit <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    sims = (vectors @ query).astype(np.float32)
    group_order = best_first(sims, 4 * limit)  # every group has a member: enough groups
    rows, owner = groups.expand(group_order, 4 * limit)
    keep = ctx.admissible(rows)
    if keep.sum() < limit and rows.shape[0] < groups.rows.shape[0]:
        group_order = best_first(sims, 64 * limit)  # filters removed many: look further
        rows, owner = groups.expand(group_order, 64 * limit)
        keep = ctx.admissible(rows)
    rows, score = rows[keep][:limit], sims[group_order[owner[keep]]][:limit]
    return rows, score


def best_first(sims: npt.NDArray[np.float32], k: int) -> IntArray:
    """Indices of the k largest `sims` (ties: lower index first), best first; shape (min(k, g),).

    A partial sort: with thousands of distinct texts, sorting them all dominated the source.
    """
    if k < sims.size:
        top = np.argpartition(-sims, k - 1)[:k]
        # ties at the cut: take the lowest indices among equal values, as a full sort would
        cut = sims[top].min()
        top = np.concatenate([np.flatnonzero(sims > cut), np.flatnonzero(sims == cut)])[:k]
    else:
        top = np.arange(sims.size)
    return top[np.lexsort((top, -sims[top]))].astype(np.int64)
