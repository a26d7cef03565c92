"""Score users in batches with a `Recommender`, rank every item, and measure."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from videorec.evaluation import metrics
from videorec.evaluation.baselines.base import Recommender

BATCH = 1024


@dataclass(frozen=True)
class Measured:
    """One model on one split: mean of each metric, and the top-k lists behind them.

    Attributes:
        values: e.g. {"ndcg@10": 0.32, "coverage@10": 0.2, ...}.
        topk: shape (n_evaluated_users, max k) ranked item indices.
    """

    values: dict[str, float]
    topk: npt.NDArray[np.int64]


def evaluated_users(truth: sp.csr_matrix) -> npt.NDArray[np.int64]:
    """Rows with at least one held-out item."""
    return np.flatnonzero(np.diff(truth.indptr) > 0).astype(np.int64)


def rank(
    model: Recommender, users: npt.NDArray[np.int64], exclude: sp.csr_matrix, k: int
) -> npt.NDArray[np.int64]:
    """shape (len(users), k): each user's best k items, excluding `exclude[user]`."""
    parts = [metrics.top_k(model.scores(b), exclude[b], k) for b in _batches(users)]
    return np.concatenate(parts) if parts else np.zeros((0, k), np.int64)


def measure(
    model: Recommender,
    truth: sp.csr_matrix,
    exclude: sp.csr_matrix,
    train: sp.csr_matrix,
    ks: tuple[int, ...] = metrics.KS,
) -> Measured:
    """Accuracy at each k over users with held-out items, plus coverage/novelty/Gini at min(ks)."""
    users = evaluated_users(truth)
    topk = rank(model, users, exclude, max(ks))
    values: dict[str, float] = {}
    for k in ks:
        for name, per_user in metrics.accuracy(topk, truth[users], k).items():
            values[f"{name}@{k}"] = float(per_user.mean()) if per_user.size else 0.0
    head = topk[:, : min(ks)]
    values[f"coverage@{min(ks)}"] = metrics.coverage(head, truth.shape[1])
    values[f"novelty@{min(ks)}"] = metrics.novelty(head, train)
    values[f"gini@{min(ks)}"] = metrics.gini(head, truth.shape[1])
    return Measured(values, topk)


def _batches(users: npt.NDArray[np.int64]) -> Iterator[npt.NDArray[np.int64]]:
    for start in range(0, len(users), BATCH):
        yield users[start : start + BATCH]
