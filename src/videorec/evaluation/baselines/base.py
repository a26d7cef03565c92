"""The contract every evaluated model meets."""

from __future__ import annotations

from typing import Protocol

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp


class Recommender(Protocol):
    """A model fitted on a binary user x item matrix that scores every item for given users."""

    name: str

    def fit(self, train: sp.csr_matrix) -> None:
        """Learn from `train`, shape (n_users, n_items), 1 where a user interacted."""
        ...

    def scores(self, users: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        """Scores of every item for each user: shape (len(users), n_items), higher is better."""
        ...
