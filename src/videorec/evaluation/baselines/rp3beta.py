"""RP3beta (Paudel et al., 2017): three-step random walk user -> item -> user -> item,
with the landing item's popularity discounted. A candidate source of our blend, not a baseline.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from videorec.evaluation.baselines.itemknn import keep_top_k_per_column


class RP3Beta:
    """W_ij = Σ_u P(u|i)^a P(j|u)^a / pop_j^beta, top-k per target item; scores = X W.

    Args:
        alpha: exponent on the transition probabilities.
        beta: popularity discount of the landing item (0: plain P3).
        k: neighbours kept per item.
    """

    name = "rp3beta"

    def __init__(self, alpha: float = 1.0, beta: float = 0.5, k: int = 200) -> None:
        self.alpha = alpha
        self.beta = beta
        self.k = k
        self.train = sp.csr_matrix((0, 0), dtype=np.float32)
        self.similarity = sp.csr_matrix((0, 0), dtype=np.float32)

    def fit(self, train: sp.csr_matrix) -> None:
        self.train = sp.csr_matrix(train, dtype=np.float32)
        x = self.train.toarray()
        user_deg = np.maximum(x.sum(axis=1, keepdims=True), 1.0)
        item_deg = np.maximum(x.sum(axis=0, keepdims=True), 1.0)
        p_ui = (x / user_deg) ** self.alpha
        p_iu = (x / item_deg).T ** self.alpha
        sim = (p_iu @ p_ui) / (item_deg**self.beta)
        np.fill_diagonal(sim, 0.0)
        self.similarity = keep_top_k_per_column(sim.astype(np.float32), self.k)

    def scores(self, users: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        return np.asarray((self.train[users] @ self.similarity).toarray(), np.float32)
