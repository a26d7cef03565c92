"""Most popular items: the same list for everyone."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp


class Popularity:
    """Scores an item by how many training users interacted with it."""

    name = "popularity"

    def __init__(self) -> None:
        self.counts: npt.NDArray[np.float32] = np.zeros(0, np.float32)

    def fit(self, train: sp.csr_matrix) -> None:
        self.counts = np.asarray((train > 0).sum(axis=0), dtype=np.float32).ravel()

    def scores(self, users: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        return np.broadcast_to(self.counts, (len(users), self.counts.shape[0])).copy()
