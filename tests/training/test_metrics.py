"""Validation metrics and the popularity baseline."""

from __future__ import annotations

import math

import numpy as np

from videorec.features.log import InteractionLog
from videorec.features.signals import SignalWeights
from videorec.training.metrics import popularity_scores, ranking_metrics, top_k


class TestRankingMetrics:
    def test_known_ndcg_and_recall(self) -> None:
        ranked = np.array([[5, 1, 2] + list(range(100, 147))])
        out = ranking_metrics(ranked, [{1, 3}])
        ideal = 1 + 1 / math.log2(3)
        assert math.isclose(out["ndcg@10"], (1 / math.log2(3)) / ideal)
        assert out["recall@10"] == 0.5
        assert out["hr@10"] == 1.0

    def test_top_k_orders_best_first(self) -> None:
        assert top_k(np.array([[0.1, 0.9, 0.5]], np.float32), 2).tolist() == [[1, 2]]


class TestPopularity:
    def test_counts_positive_training_events_per_post(self) -> None:
        train = InteractionLog(
            np.array([1, 2, 3], np.int64), np.array([20, 20, 10], np.int64),
            np.array([0, 0, 3], np.int8), np.array([np.nan, np.nan, 1.0], np.float32),
            np.array([0, 0, 0], np.int64),
        )  # fmt: skip
        scores = popularity_scores(train, np.array([10, 20, 30]), SignalWeights(), 2)
        assert scores.tolist() == [[0.0, 2.0, 0.0]] * 2
