"""Implicit-feedback matrix factorisation (Hu, Koren & Volinsky) via the `implicit` package."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares
from threadpoolctl import threadpool_limits


class Als:
    """Confidence 1 + alpha * r, `factors` latent factors, L2 `regularization` (not scaled by data).

    Args:
        factors: latent dimension.
        regularization: L2 penalty; around 30 suits MovieLens-sized data.
        alpha: confidence scale of an observed interaction.
        iterations: alternating sweeps.
        seed: random_state of the factor initialisation.
    """

    name = "als"

    def __init__(
        self,
        factors: int = 64,
        regularization: float = 30.0,
        alpha: float = 5.0,
        iterations: int = 15,
        seed: int = 0,
    ) -> None:
        self.factors = factors
        self.regularization = regularization
        self.alpha = alpha
        self.iterations = iterations
        self.seed = seed
        self.user_factors = np.zeros((0, factors), np.float32)
        self.item_factors = np.zeros((0, factors), np.float32)

    def fit(self, train: sp.csr_matrix) -> None:
        with threadpool_limits(1, "blas"):  # implicit warns (and slows) under a BLAS threadpool
            model = AlternatingLeastSquares(
                factors=self.factors,
                regularization=self.regularization,
                alpha=self.alpha,
                iterations=self.iterations,
                random_state=self.seed,
                num_threads=2,
            )
            model.fit(sp.csr_matrix(train, dtype=np.float32), show_progress=False)
        self.user_factors = np.asarray(model.user_factors, np.float32)
        self.item_factors = np.asarray(model.item_factors, np.float32)

    def scores(self, users: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        return self.user_factors[users] @ self.item_factors.T
