"""Rows grouped by a label, stored CSR-style: "the posts of this category / text / mood"."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Groups:
    """Members of g groups: group i holds `rows[ptr[i]:ptr[i + 1]]`.

    Attributes:
        ptr: shape (g + 1,), offsets into `rows`.
        rows: shape (r,), catalogue rows, each group's in the order given at build time.
    """

    ptr: IntArray
    rows: IntArray

    @classmethod
    def from_labels(cls, labels: IntArray, n_groups: int, order: IntArray | None = None) -> Groups:
        """Group rows by `labels` (shape (m,), -1 = in no group), keeping `order` within groups.

        Args:
            labels: group of each row.
            n_groups: number of groups.
            order: shape (m,), the row order to keep inside each group (default ascending rows).
        """
        rows = np.arange(labels.shape[0], dtype=np.int64) if order is None else order
        rows = rows[labels[rows] >= 0]
        rows = rows[np.argsort(labels[rows], kind="stable")]
        counts = np.bincount(labels[rows], minlength=n_groups)
        ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return cls(ptr=ptr, rows=rows.astype(np.int64))

    def members(self, group: int) -> IntArray:
        """Rows of one group."""
        return self.rows[self.ptr[group] : self.ptr[group + 1]]

    def expand(self, group_order: IntArray, min_rows: int) -> tuple[IntArray, IntArray]:
        """Members of the groups in `group_order`, concatenated, until at least `min_rows`.

        Vectorised: the groups needed are found from the cumulative sizes, then their members
        are gathered in one fancy-index (no Python loop over groups).

        Returns:
            rows shape (r,) and the position in `group_order` of each row's group, shape (r,).
        """
        sizes = self.ptr[group_order + 1] - self.ptr[group_order]
        total = np.cumsum(sizes)
        needed = int(np.searchsorted(total, min_rows)) + 1  # groups until min_rows (or all)
        order, sizes = group_order[:needed], sizes[:needed]
        count = int(sizes.sum())
        owners = np.repeat(np.arange(order.shape[0], dtype=np.int64), sizes)
        starts = np.repeat(self.ptr[order] - (np.cumsum(sizes) - sizes), sizes)
        return self.rows[starts + np.arange(count, dtype=np.int64)], owners
