"""Ranking metrics for validation (binary relevance) and the popularity baseline."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from videorec.features.log import InteractionLog
from videorec.features.signals import SignalWeights
from videorec.training.split import ValidationSet

KS = (10, 50)


def top_k(scores: npt.NDArray[np.float32], k: int) -> npt.NDArray[np.int64]:
    """Column indices of the k best scores per row, best first; shape (n, min(k, m))."""
    k = min(k, scores.shape[1])
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1).astype(np.int64)


def ranking_metrics(ranked: npt.NDArray[np.int64], targets: list[set[int]]) -> dict[str, float]:
    """NDCG@k, Recall@k and HR@k for k in `KS`, averaged over users.

    Args:
        ranked: shape (n, K), recommended post ids per user, best first (K >= max(KS)).
        targets: relevant post ids per user (non-empty).
    """
    discounts = 1.0 / np.log2(np.arange(2, ranked.shape[1] + 2))
    out: dict[str, list[float]] = {}
    for row, wanted in zip(ranked, targets, strict=True):
        hits = np.fromiter((p in wanted for p in row.tolist()), bool, row.shape[0])
        for k in KS:
            ideal = discounts[: min(k, len(wanted))].sum()
            out.setdefault(f"ndcg@{k}", []).append(float(discounts[:k][hits[:k]].sum() / ideal))
            out.setdefault(f"recall@{k}", []).append(float(hits[:k].sum() / len(wanted)))
            out.setdefault(f"hr@{k}", []).append(float(hits[:k].any()))
    return {name: float(np.mean(values)) if values else 0.0 for name, values in out.items()}


def evaluate_scores(
    scores: npt.NDArray[np.float32], post_ids: npt.NDArray[np.int64], valid: ValidationSet
) -> dict[str, float]:
    """Metrics of full-catalogue scores after removing each user's training posts.

    Args:
        scores: shape (n_users, m) over `post_ids`, rows in `valid.user_ids` order.
        post_ids: shape (m,), sorted ascending.
    """
    scores = scores.copy()
    last = post_ids.shape[0] - 1
    for i, history in enumerate(valid.histories):
        pos = np.minimum(np.searchsorted(post_ids, history.post_ids), last)
        scores[i, pos[post_ids[pos] == history.post_ids]] = -np.inf
    return ranking_metrics(post_ids[top_k(scores, max(KS))], valid.targets)


def popularity_scores(
    train: InteractionLog,
    post_ids: npt.NDArray[np.int64],
    signals: SignalWeights,
    n_users: int,
) -> npt.NDArray[np.float32]:
    """The popularity baseline: positive training events per post, the same for every user."""
    positive = train.post_ids[signals.is_positive(train.kinds, train.ratings)]
    counts = np.zeros(post_ids.shape[0], dtype=np.float32)
    pos = np.searchsorted(post_ids, positive)
    ok = (pos < post_ids.shape[0]) & (post_ids[np.minimum(pos, post_ids.shape[0] - 1)] == positive)
    np.add.at(counts, pos[ok], 1.0)
    return np.broadcast_to(counts, (n_users, post_ids.shape[0])).copy()
