"""Nearest posts by a FAISS index: shared by the PyTorch model and its ONNX twin (no torch here)."""

from __future__ import annotations

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


def nearest(
    index: Any, post_ids: IntArray, vector: FloatArray, k: int
) -> tuple[IntArray, FloatArray]:
    """The `k` posts whose index vectors score highest against `vector` (shape (d,)), best first,
    as post ids and scores; fewer when the index holds fewer, none for k <= 0."""
    k = min(k, post_ids.shape[0])
    if k <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    query = np.asarray(vector, np.float32)[None, :]
    if index.metric_type == METRIC_L2 and index.d == query.shape[1] + 1:  # `mips_to_l2`'s form
        stored = index.reconstruct(0)
        squared = float(np.dot(stored, stored))  # M^2: every stored vector has that norm
        distances, idx = index.search(np.hstack([query, np.zeros((1, 1), np.float32)]), k)
        sims = (float(np.dot(query[0], query[0])) + squared - distances) / 2
    else:
        sims, idx = index.search(query, k)
    keep = idx[0] >= 0
    return post_ids[idx[0][keep]], sims[0][keep].astype(np.float32)
