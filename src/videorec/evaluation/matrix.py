"""Index a split into user x post CSR matrices (binary implicit feedback)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from videorec.evaluation.splits import SplitLogs
from videorec.features.log import InteractionLog, PostCatalog

Csr: TypeAlias = sp.csr_matrix


@dataclass(frozen=True)
class SplitMatrices:
    """One split as aligned matrices, shape (n_users, n_items) each.

    Attributes:
        train, valid, test: binary CSR matrices (float32).
        user_ids: shape (n_users,), the upstream ids of the rows (users with training events).
        item_ids: shape (n_items,), upstream ids of the columns (catalogue plus logged posts).
        dropped_users: users with validation or test events but no training event (not evaluated).
    """

    train: Csr
    valid: Csr
    test: Csr
    user_ids: npt.NDArray[np.int64]
    item_ids: npt.NDArray[np.int64]
    dropped_users: int

    @property
    def n_items(self) -> int:
        return int(self.item_ids.shape[0])


def to_matrices(logs: SplitLogs, catalog: PostCatalog) -> SplitMatrices:
    """Build the matrices; rows are the users seen in train, columns every known post."""
    user_ids = np.unique(logs.train.user_ids)
    all_posts = [catalog.post_ids, logs.train.post_ids, logs.valid.post_ids, logs.test.post_ids]
    item_ids = np.unique(np.concatenate(all_posts))
    later = np.union1d(logs.valid.user_ids, logs.test.user_ids)
    return SplitMatrices(
        train=_csr(logs.train, user_ids, item_ids),
        valid=_csr(logs.valid, user_ids, item_ids),
        test=_csr(logs.test, user_ids, item_ids),
        user_ids=user_ids,
        item_ids=item_ids,
        dropped_users=int(np.setdiff1d(later, user_ids).shape[0]),
    )


def _csr(
    log: InteractionLog, user_ids: npt.NDArray[np.int64], item_ids: npt.NDArray[np.int64]
) -> Csr:
    shape = (len(user_ids), len(item_ids))
    if len(user_ids) == 0:
        return sp.csr_matrix(shape, dtype=np.float32)
    rows = np.searchsorted(user_ids, log.user_ids)
    known = (rows < len(user_ids)) & (user_ids[np.minimum(rows, len(user_ids) - 1)] == log.user_ids)
    cols = np.searchsorted(item_ids, log.post_ids[known])
    data = np.ones(int(known.sum()), np.float32)
    matrix = sp.csr_matrix((data, (rows[known], cols)), shape=shape, dtype=np.float32)
    matrix.data[:] = 1.0  # duplicates (if any) stay binary
    return matrix
