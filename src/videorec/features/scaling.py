"""Log + standard scaling of counters, with mean imputation and a missing flag per column.

`fit` learns per-column mean and std of log1p(value) on training rows (NaN = missing); `transform`
applies exactly those numbers, so serving scales a post like training did.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatMatrix = npt.NDArray[np.float32]


@dataclass(frozen=True)
class LogStandardScaler:
    """Per-column `(log1p(max(x, 0)) - mean) / std`; NaN becomes 0 (the mean) plus a flag of 1.

    Attributes:
        mean: shape (c,), mean of log1p values per column (0 for an all-missing column).
        std: shape (c,), std per column, at least 1e-6.
    """

    mean: FloatMatrix
    std: FloatMatrix

    @classmethod
    def fit(cls, values: FloatMatrix) -> LogStandardScaler:
        """Learn the scaling from `values`, shape (n, c); NaN marks a missing value."""
        logs = np.log1p(np.clip(values.astype(np.float64), 0, None))
        present = ~np.isnan(logs)
        count = present.sum(axis=0)
        total = np.where(present, logs, 0).sum(axis=0)
        mean = np.divide(total, count, out=np.zeros_like(total), where=count > 0)
        sq = np.where(present, (logs - mean) ** 2, 0).sum(axis=0)
        std = np.sqrt(np.divide(sq, count, out=np.ones_like(sq), where=count > 0))
        return cls(mean.astype(np.float32), np.maximum(std, 1e-6).astype(np.float32))

    @property
    def width(self) -> int:
        """Output columns: scaled values plus one missing flag per input column."""
        return 2 * int(self.mean.shape[0])

    def transform(self, values: FloatMatrix) -> FloatMatrix:
        """Scaled values and missing flags side by side.

        Args:
            values: shape (n, c), NaN where missing.

        Returns:
            shape (n, 2c), float32: c scaled columns (0 where missing), then c flags (1 = missing).
        """
        missing = np.isnan(values)
        logs = np.log1p(np.clip(np.nan_to_num(values, nan=0.0), 0, None))
        scaled = np.where(missing, 0.0, (logs - self.mean) / self.std)
        return np.concatenate([scaled, missing], axis=1).astype(np.float32)
