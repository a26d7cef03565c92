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


class TestBlockedValidation:
    def test_ranking_rows_in_blocks_is_ranking_them_at_once(self, monkeypatch) -> None:
        from videorec.training import metrics

        rng = np.random.default_rng(3)
        post_ids = np.arange(10, 130, dtype=np.int64)
        scores = rng.normal(size=(7, post_ids.shape[0])).astype(np.float32)
        before = scores.copy()
        histories = [_history(rng.choice(post_ids, 5, replace=False)) for _ in range(7)]
        at_once = metrics.ranked_unseen(scores, post_ids, histories)
        monkeypatch.setattr(metrics, "ROWS_AT_ONCE", 3)
        blocked = metrics.ranked_unseen(scores, post_ids, histories)
        np.testing.assert_array_equal(blocked, at_once)
        for row, history in zip(blocked, histories, strict=True):
            assert not set(row.tolist()) & set(history.post_ids.tolist())  # seen posts left out
        np.testing.assert_array_equal(scores, before)  # the caller's scores are not changed

    def test_validating_in_blocks_gives_the_same_metrics(
        self, trained, tiny_data, monkeypatch
    ) -> None:
        from videorec.training import stages
        from videorec.training.split import temporal_split, validation_set

        train, held_out = temporal_split(tiny_data[0], 0.2)
        valid = validation_set(train, held_out, trained.post_ids, trained.pipeline.signals,
                               max_users=50, seed=7)  # fmt: skip
        assert len(valid) > 4
        whole = stages.validate(trained, valid)
        monkeypatch.setattr(stages, "ROWS_AT_ONCE", 2)
        blocked = stages.validate(trained, valid)
        assert blocked.keys() == whole.keys()
        for key, value in whole.items():
            assert math.isclose(blocked[key], value, abs_tol=1e-9), key


def _history(post_ids: np.ndarray) -> InteractionLog:
    n = post_ids.shape[0]
    return InteractionLog(np.zeros(n, np.int64), np.asarray(post_ids, np.int64),
                          np.zeros(n, np.int8), np.full(n, np.nan, np.float32),
                          np.arange(n, dtype=np.int64))  # fmt: skip
