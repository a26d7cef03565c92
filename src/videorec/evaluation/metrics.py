"""Top-k ranking metrics over a full ranking of every item, and beyond-accuracy metrics.

Conventions (RecBole's): for a user with a set T of held-out items and a top-k list L,
- Recall@k = |L ∩ T| / |T|;  HR@k = 1 if L ∩ T is not empty;
- MRR@k = 1 / rank of the first hit in L (0 without a hit);
- NDCG@k = DCG / IDCG with DCG = Σ_{hits at rank r} 1 / log2(r + 1) and IDCG the same sum over
  ranks 1..min(|T|, k).
Users with an empty T are not evaluated. Beyond accuracy, over everyone's top-k lists:
- coverage: distinct recommended items / catalogue size;
- novelty: mean self-information -log2 p(i) of recommended items, p(i) = the share of training
  users who interacted with i (at least 1 / n_users, so unseen items stay finite);
- Gini of how often each catalogue item is recommended (0: evenly spread, 1: one item only).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

IntMatrix = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

KS = (10, 50)
ACCURACY = ("recall", "ndcg", "hr", "mrr")


def top_k(scores: npt.NDArray[np.floating], exclude: sp.csr_matrix, k: int) -> IntMatrix:
    """The k best items per row, best first, never an excluded item.

    Args:
        scores: shape (b, n_items), higher is better.
        exclude: shape (b, n_items), non-zero where an item must not be recommended.

    Returns:
        shape (b, k) item indices.
    """
    masked = np.array(scores, dtype=np.float64, copy=True)
    rows, cols = exclude.nonzero()
    masked[rows, cols] = -np.inf
    k = min(k, masked.shape[1])
    part = np.argpartition(-masked, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(masked, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1).astype(np.int64)


def hits(topk: IntMatrix, truth: sp.csr_matrix) -> npt.NDArray[np.bool_]:
    """shape (b, k): whether each recommended item is among the row's held-out items."""
    rows = np.arange(topk.shape[0])[:, None]
    return np.asarray(truth[rows, topk].toarray() > 0) if topk.size else np.zeros(topk.shape, bool)


def accuracy(topk: IntMatrix, truth: sp.csr_matrix, k: int) -> dict[str, FloatArray]:
    """Per-user Recall, NDCG, HR and MRR at k for the rows with held-out items.

    Args:
        topk: shape (b, >=k) ranked item indices.
        truth: shape (b, n_items) held-out items.

    Returns:
        metric name -> shape (b',) values, b' = rows with at least one held-out item.
    """
    k = min(k, topk.shape[1])  # a catalogue smaller than k
    n_true = np.diff(truth.indptr)
    keep = n_true > 0
    hit = hits(topk[keep, :k], truth[keep])
    n_true = n_true[keep]
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = (hit * discounts).sum(axis=1)
    idcg = np.cumsum(discounts)[np.minimum(n_true, k) - 1]
    first = np.where(hit.any(axis=1), hit.argmax(axis=1) + 1, np.inf)
    return {
        "recall": hit.sum(axis=1) / n_true,
        "ndcg": dcg / idcg,
        "hr": hit.any(axis=1).astype(np.float64),
        "mrr": 1.0 / first,
    }


def coverage(topk: IntMatrix, n_items: int) -> float:
    """Share of the catalogue that appears in at least one list."""
    return float(np.unique(topk).shape[0] / n_items) if n_items else 0.0


def novelty(topk: IntMatrix, train: sp.csr_matrix) -> float:
    """Mean self-information (bits) of the recommended items under training popularity."""
    n_users = max(train.shape[0], 1)
    users_per_item = np.asarray((train > 0).sum(axis=0)).ravel()
    p = np.maximum(users_per_item, 1) / n_users
    return float(np.mean(-np.log2(p[topk]))) if topk.size else 0.0


def gini(topk: IntMatrix, n_items: int) -> float:
    """Gini coefficient of recommendation counts over all n_items catalogue items."""
    counts = np.sort(np.bincount(topk.ravel(), minlength=n_items)).astype(np.float64)
    total = counts.sum()
    if total == 0 or n_items < 2:
        return 0.0
    ranks = np.arange(1, n_items + 1)
    return float(((2 * ranks - n_items - 1) * counts).sum() / (n_items * total))
