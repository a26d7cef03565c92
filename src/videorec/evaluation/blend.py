"""Ours, the full pipeline offline: candidate sources blended by weights learned on validation.

Each source (EASE, item-kNN, ALS, popularity, the two-tower when present) scores every item; the
scores are standardised per user (z-scores over the catalogue, so sources with different scales
mix) and summed with one weight per source. The weights are learned on the validation split by
coordinate ascent on NDCG@10 + 0.25 Recall@50 over a small weight grid: the sources are fitted on
train only, so their validation and test score distributions match and the blend transfers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
import structlog

from videorec.evaluation import metrics
from videorec.evaluation.baselines.base import Recommender
from videorec.evaluation.scoring import evaluated_users

log = structlog.get_logger(__name__)

WEIGHT_GRID = (0.0, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5)
ROUNDS = 2
MAX_TUNING_USERS = 5000


class Blend:
    """Σ_s w_s z_s(u, i) over fitted sources; `learn` sets the weights on validation data.

    Args:
        sources: already fitted recommenders over the same user x item index.
        name: the label in reports.
        recall_weight: the validation objective is NDCG@10 + recall_weight * Recall@50: the
            blend feeds both the first page (NDCG@10) and a re-ranker's candidate list (Recall@50).
    """

    def __init__(
        self,
        sources: Sequence[Recommender],
        name: str = "offline-blend",
        recall_weight: float = 0.25,
    ) -> None:
        self.name = name
        self.recall_weight = recall_weight
        self.sources = list(sources)
        self.weights = np.zeros(len(self.sources), np.float32)
        if self.sources:
            self.weights[0] = 1.0

    def fit(self, train: sp.csr_matrix) -> None:
        """The sources arrive fitted; refit them all on `train`."""
        for source in self.sources:
            source.fit(train)

    def learn(self, train: sp.csr_matrix, valid: sp.csr_matrix, seed: int = 0) -> float:
        """Coordinate ascent on the validation objective; returns its best value.

        The sources' standardised scores of (at most `MAX_TUNING_USERS` sampled) validation users
        are computed once and reused for every candidate weight vector.
        """
        users = evaluated_users(valid)
        if len(users) > MAX_TUNING_USERS:
            users = np.sort(np.random.default_rng(seed).choice(users, MAX_TUNING_USERS, False))
        cached = np.stack([standardise(s.scores(users)) for s in self.sources])
        exclude, truth = train[users], valid[users]

        def score(weights: npt.NDArray[np.float32]) -> float:
            if not weights.any():
                return -1.0
            top = metrics.top_k(np.tensordot(weights, cached, axes=1), exclude, 50)
            ndcg = metrics.accuracy(top, truth, 10)["ndcg"].mean()
            recall = metrics.accuracy(top, truth, 50)["recall"].mean()
            return float(ndcg + self.recall_weight * recall)

        best = score(self.weights)
        for _ in range(ROUNDS):
            for s in range(len(self.sources)):
                for w in WEIGHT_GRID:
                    trial = self.weights.copy()
                    trial[s] = w
                    value = score(trial)
                    if value > best + 1e-6:
                        best, self.weights = value, trial
        log.debug("blend_learned", weights=self.describe(), valid_objective=best)
        return best

    def scores(self, users: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        total = np.zeros((len(users), 0), np.float32)
        for weight, source in zip(self.weights, self.sources, strict=True):
            if weight == 0:
                continue
            part = weight * standardise(source.scores(users))
            total = part if total.shape[1] == 0 else total + part
        return total if total.shape[1] else self.sources[0].scores(users)

    def describe(self) -> dict[str, float]:
        """Source name -> learned weight."""
        return {s.name: round(float(w), 3) for s, w in zip(self.sources, self.weights, strict=True)}


def standardise(scores: npt.NDArray[np.floating]) -> npt.NDArray[np.float32]:
    """Per-row z-scores, shape kept; a constant row becomes zeros."""
    x = np.asarray(scores, np.float32)
    std = x.std(axis=1, keepdims=True)
    z: npt.NDArray[np.float32] = (x - x.mean(axis=1, keepdims=True)) / np.where(std > 0, std, 1.0)
    return z
