"""Ranking metrics for validation (binary relevance) and the popularity baseline."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from videorec.features.log import InteractionLog
from videorec.features.signals import SignalWeights
from videorec.training.split import ValidationSet

KS = (10, 50)
ROWS_AT_ONCE = 32
"""Users scored and ranked together in validation (bounds its memory on large catalogues)."""


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
    return ranking_metrics(ranked_unseen(scores, post_ids, valid.histories), valid.targets)


def ranked_unseen(
    scores: npt.NDArray[np.float32],
    post_ids: npt.NDArray[np.int64],
    histories: Sequence[InteractionLog],
) -> npt.NDArray[np.int64]:
    """Each row's `max(KS)` best post ids, best first, its history's posts left out: shape
    (n, K). Rows are copied and ranked `ROWS_AT_ONCE` at a time (a copy and the partition's
    indices of every row at once were 2.4 GB for 200 users x 1M posts)."""
    last = post_ids.shape[0] - 1
    ranked = []
    for start in range(0, scores.shape[0], ROWS_AT_ONCE):
        block = np.array(scores[start : start + ROWS_AT_ONCE], dtype=np.float32)
        for i, history in enumerate(histories[start : start + block.shape[0]]):
            pos = np.minimum(np.searchsorted(post_ids, history.post_ids), last)
            block[i, pos[post_ids[pos] == history.post_ids]] = -np.inf
        ranked.append(post_ids[top_k(block, max(KS))])
    if not ranked:
        return np.zeros((0, min(max(KS), post_ids.shape[0])), np.int64)
    return np.concatenate(ranked)


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
