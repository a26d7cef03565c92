"""Item-based k-nearest neighbours with shrunk cosine similarity."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

Dense = npt.NDArray[np.float32]


class ItemKNN:
    """score(u, j) = Σ_{i in history(u)} sim(i, j), sim kept for each item's top-k neighbours.

    sim(i, j) = |U_i ∩ U_j| / (sqrt(|U_i| |U_j|) + shrink), the diagonal set to 0.

    Args:
        k: neighbours kept per item.
        shrink: shrinkage term that damps similarities built on few co-occurrences.
    """

    name = "item-knn"

    def __init__(self, k: int = 100, shrink: float = 10.0) -> None:
        self.k = k
        self.shrink = shrink
        self.train = sp.csr_matrix((0, 0), dtype=np.float32)
        self.similarity = sp.csr_matrix((0, 0), dtype=np.float32)

    def fit(self, train: sp.csr_matrix, cooccurrence: Dense | None = None) -> None:
        """Fit on `train`; `cooccurrence` (`items_cooccurrence(train)`) saves recomputing it for
        every grid point."""
        self.train = sp.csr_matrix(train, dtype=np.float32)
        co = cooccurrence if cooccurrence is not None else items_cooccurrence(self.train)
        norms = np.sqrt(np.diag(co)).astype(np.float32)
        sim = co / (np.outer(norms, norms) + self.shrink + 1e-9)
        np.fill_diagonal(sim, 0.0)
        self.similarity = keep_top_k_per_column(sim.astype(np.float32), self.k)

    def scores(self, users: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        return np.asarray((self.train[users] @ self.similarity).toarray(), np.float32)


def items_cooccurrence(train: sp.csr_matrix) -> npt.NDArray[np.float32]:
    """XᵀX as a dense items x items matrix: how many users share each pair of items."""
    x = sp.csr_matrix(train, dtype=np.float32)
    return np.asarray((x.T @ x).toarray(), np.float32)


def keep_top_k_per_column(sim: npt.NDArray[np.float32], k: int) -> sp.csr_matrix:
    """Zero all but the k largest entries of each column (the neighbours of each target item)."""
    n = sim.shape[0]
    if k >= n:
        return sp.csr_matrix(sim)
    idx = np.argpartition(-sim, k - 1, axis=0)[:k]
    cols = np.broadcast_to(np.arange(n), idx.shape)
    kept = sp.csr_matrix((sim[idx, cols].ravel(), (idx.ravel(), cols.ravel())), shape=sim.shape)
    kept.eliminate_zeros()
    return kept
