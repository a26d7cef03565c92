"""Global statistics of the interaction log: time-decayed popularity and item co-occurrence.

Rebuilt when the log grows (see `serving/registry.py`), never per request.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from videorec.features.log import InteractionLog
from videorec.serving.groups import Groups
from videorec.serving.index import CatalogIndex

IntArray = npt.NDArray[np.int64]
KIND_WEIGHTS = np.asarray([1.0, 3.0, 4.0, 2.0], dtype=np.float32)
"""Weight of a view, like, inspire and rating (`KIND_CODES` order) in popularity."""


@dataclass(frozen=True)
class LogStats:
    """Popularity and co-occurrence over the catalogue rows.

    Attributes:
        trend: shape (m,), time-decayed engagement plus a small prior from upstream counters.
        trend_order: shape (m,), rows most popular first.
        category_top: category id -> group index in `by_category`.
        by_category: rows of each category, most popular first.
        covisit: shape (m, m) CSR, row i holds the posts most often engaged with alongside i.
    """

    trend: npt.NDArray[np.float32]
    trend_order: IntArray
    category_top: dict[int, int]
    by_category: Groups
    covisit: sp.csr_matrix

    @cached_property
    def trend_top(self) -> float:
        """The largest `trend`, at least 0: once per state, not once per request (a pass over
        the catalogue, 1M values at 1M posts)."""
        return float(self.trend.max(initial=0))


def build_stats(
    index: CatalogIndex, log: InteractionLog, *, half_life_s: int, history: int, neighbours: int
) -> LogStats:
    """Popularity (decayed relative to the newest event) and pruned co-occurrence of `log`."""
    rows = index.rows_of(log.post_ids)
    known = rows >= 0
    trend = _trend(index, log.select(known), rows[known], half_life_s)
    order = np.lexsort((np.arange(len(index)), -trend)).astype(np.int64)
    categories = np.unique(index.category_ids[index.category_ids >= 0])
    code_of = {int(c): i for i, c in enumerate(categories.tolist())}
    labels = np.searchsorted(categories, index.category_ids).astype(np.int64)
    labels[index.category_ids < 0] = -1
    return LogStats(
        trend=trend,
        trend_order=order,
        category_top=code_of,
        by_category=Groups.from_labels(labels, len(categories), order=order),
        covisit=_covisit(log.select(known), rows[known], len(index), history, neighbours),
    )


def _trend(
    index: CatalogIndex, log: InteractionLog, rows: IntArray, half_life_s: int
) -> npt.NDArray[np.float32]:
    prior: npt.NDArray[np.float32] = (0.05 * np.log1p(index.views)).astype(np.float32)
    if not len(log):
        return prior
    age = (log.timestamps.max() - log.timestamps).astype(np.float64)
    weight = KIND_WEIGHTS[log.kinds] * np.exp2(-age / half_life_s)
    decayed = np.bincount(rows, weights=weight, minlength=len(index)).astype(np.float32)
    return (np.log1p(decayed) + prior).astype(np.float32)


def _covisit(
    log: InteractionLog, rows: IntArray, n_posts: int, history: int, neighbours: int
) -> sp.csr_matrix:
    """Item-item counts over each user's `history` most recent distinct posts, top `neighbours`."""
    if not len(log) or not n_posts:
        return sp.csr_matrix((n_posts, n_posts), dtype=np.float32)
    _, user_codes = np.unique(log.user_ids, return_inverse=True)
    order = np.lexsort((-log.timestamps, user_codes))  # per user, newest first
    users, items = user_codes[order].astype(np.int64), rows[order]
    _, first = np.unique(users * n_posts + items, return_index=True)
    first.sort()  # the newest event of each distinct (user, post), still newest first
    users, items = users[first], items[first]
    start = np.searchsorted(users, users, side="left")
    keep = (np.arange(users.size) - start) < history
    matrix = sp.csr_matrix(
        (np.ones(int(keep.sum()), np.float32), (users[keep], items[keep])),
        shape=(int(users.max()) + 1, n_posts),
    )
    counts = (matrix.T @ matrix).tocsr()
    counts.setdiag(0)
    counts.eliminate_zeros()
    return _prune(counts, neighbours)


def _prune(matrix: sp.csr_matrix, keep: int) -> sp.csr_matrix:
    """Keep the `keep` largest entries of each row."""
    indptr, indices, data = matrix.indptr, matrix.indices, matrix.data
    out_rows: list[IntArray] = []
    for row in range(matrix.shape[0]):
        lo, hi = indptr[row], indptr[row + 1]
        if hi - lo > keep:
            top = lo + np.argsort(-data[lo:hi], kind="stable")[:keep]
            out_rows.append(np.sort(top))
        elif hi > lo:
            out_rows.append(np.arange(lo, hi))
    if not out_rows:
        return matrix
    positions = np.concatenate(out_rows)
    row_ids = np.repeat(np.arange(matrix.shape[0]), np.diff(indptr).clip(max=keep))
    return sp.csr_matrix(
        (data[positions], (row_ids, indices[positions])), shape=matrix.shape, dtype=np.float32
    )
