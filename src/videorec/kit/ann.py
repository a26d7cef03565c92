"""Nearest posts by a FAISS index: shared by the PyTorch model and its ONNX twin (no torch here)."""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float32]


METRIC_L2 = 1
"""FAISS's `METRIC_L2` (an index built by `mips_to_l2`'s vectors uses it)."""


def mips_to_l2(vectors: FloatArray) -> FloatArray:
    """Vectors (n, d) -> (n, d + 1) whose L2 order against a query (q, 0) is the inner-product
    order against q: each gets sqrt(M^2 - |x|^2), M the largest norm, so all have norm M and
    |(q, 0) - x'|^2 = |q|^2 + M^2 - 2 q.x (graph indexes search L2 far better than raw inner
    products of unnormalised vectors)."""
    norms = np.linalg.norm(vectors, axis=1)
    extra = np.sqrt(np.maximum(float(norms.max(initial=0.0)) ** 2 - norms**2, 0.0))
    return np.ascontiguousarray(np.hstack([vectors, extra[:, None]]), dtype=np.float32)


class PostSearch:
    """Nearest posts by a FAISS index, with what every query shares read once.

    Over the L2 form (`mips_to_l2`) a distance turns back into an inner product with M^2, the
    stored vectors' common squared norm: read from one stored vector at the first query, not
    at every query.

    Args:
        index: a FAISS index over the post vectors (exact inner product, or the L2 form).
        post_ids: shape (m,), the post id of each index row.
    """

    def __init__(self, index: Any, post_ids: IntArray) -> None:
        self.index = index
        self.post_ids = post_ids

    @cached_property
    def m_squared(self) -> float | None:
        """M^2 of the L2 form; None for an inner-product index."""
        if self.index.metric_type != METRIC_L2 or self.index.ntotal == 0:
            return None
        return _squared_norm(self.index.reconstruct(0))

    def nearest(self, vector: FloatArray, k: int) -> tuple[IntArray, FloatArray]:
        """The `k` posts whose index vectors score highest against `vector` (shape (d,)), best
        first, as post ids and scores; fewer when the index holds fewer, none for k <= 0."""
        k = min(k, self.post_ids.shape[0])
        if k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        query = np.asarray(vector, np.float32)[None, :]
        if self.m_squared is not None and self.index.d == query.shape[1] + 1:
            lifted = np.hstack([query, np.zeros((1, 1), np.float32)])
            distances, idx = self.index.search(lifted, k)
            sims = (_squared_norm(query[0]) + self.m_squared - distances) / 2
        else:
            sims, idx = self.index.search(query, k)
        keep = idx[0] >= 0
        return self.post_ids[idx[0][keep]], sims[0][keep].astype(np.float32)


def nearest(
    index: Any, post_ids: IntArray, vector: FloatArray, k: int
) -> tuple[IntArray, FloatArray]:
    """One query of `PostSearch(index, post_ids)`: for one-off searches (a server keeps a
    `PostSearch`, so M^2 is not read again per query)."""
    return PostSearch(index, post_ids).nearest(vector, k)


def _squared_norm(vector: FloatArray) -> float:
    return float(np.dot(vector, vector))
