"""EASE^R (Steck, 2019): a closed-form item-item linear model."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp


class Ease:
    """B = I - P diagMat(1 / diag(P)), P = (XᵀX + λI)⁻¹, diag(B) = 0; scores = X B.

    Args:
        lam: the L2 regularisation λ.
    """

    name = "ease"

    def __init__(self, lam: float = 300.0) -> None:
        self.lam = lam
        self.train = sp.csr_matrix((0, 0), dtype=np.float32)
        self.weights = np.zeros((0, 0), np.float32)

    def fit(self, train: sp.csr_matrix) -> None:
        self.train = sp.csr_matrix(train, dtype=np.float32)
        gram = (self.train.T @ self.train).toarray().astype(np.float64)
        gram[np.diag_indices_from(gram)] += self.lam
        precision = np.linalg.inv(gram)
        weights = -precision / np.diag(precision)
        np.fill_diagonal(weights, 0.0)
        self.weights = weights.astype(np.float32)

    def scores(self, users: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        return np.asarray(self.train[users] @ self.weights, np.float32)
