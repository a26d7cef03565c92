"""Nearest posts by a FAISS index: shared by the PyTorch model and its ONNX twin (no torch here)."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float32]


def nearest(
    index: Any, post_ids: IntArray, vector: FloatArray, k: int
) -> tuple[IntArray, FloatArray]:
    """The `k` posts whose index vectors score highest against `vector` (shape (d,)), best first,
    as post ids and scores; fewer when the index holds fewer, none for k <= 0."""
    k = min(k, post_ids.shape[0])
    if k <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    sims, idx = index.search(np.asarray(vector, np.float32)[None, :], k)
    keep = idx[0] >= 0
    return post_ids[idx[0][keep]], sims[0][keep].astype(np.float32)
