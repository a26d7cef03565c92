"""The fit's cold validation slice: the validation users with their history cut to its first n
events, scored as users the model never saw, reported beside the warm metric."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from tests.training.conftest import tiny_config
from videorec.features.log import InteractionLog
from videorec.features.signals import VIEW
from videorec.training import fit
from videorec.training.split import ValidationSet
from videorec.training.stages import validate

POSTS = np.arange(1, 31, dtype=np.int64)


class _HistoryLengthModel:
    """Ranks post 10 + len(history) first, 10 + len(history) - 1 second, then posts from the
    last down; a known user id (not None) ranks post 30 first, so scoring with the id shows."""

    def __init__(self, cold_events: list[int]) -> None:
        self.post_ids = POSTS
        self.config = SimpleNamespace(split=SimpleNamespace(cold_events=cold_events))
        self.calls: list[tuple[list[Any], list[int]]] = []

    def score_all(self, user_ids: Any, histories: list[InteractionLog]) -> np.ndarray:
        users = [None if u is None else int(u) for u in user_ids]
        self.calls.append((users, [len(h) for h in histories]))
        base = np.arange(POSTS.shape[0], dtype=np.float32) / 1000  # later posts next
        scores = np.tile(base, (len(histories), 1))
        for i, (user, history) in enumerate(zip(users, histories, strict=True)):
            scores[i, 10 + len(history) - 1] = 2.0  # column c is post c + 1
            scores[i, 10 + len(history) - 2] = 1.0
            if user is not None:
                scores[i, 29] = 3.0
        return scores


def _valid() -> ValidationSet:
    n = 5
    history = InteractionLog(np.full(n, 7, np.int64), np.arange(1, n + 1, dtype=np.int64),
                             np.full(n, VIEW, np.int8), np.full(n, np.nan, np.float32),
                             np.arange(n, dtype=np.int64))  # fmt: skip
    return ValidationSet(np.array([7]), [history], [{11}])


class TestColdValidation:
    def test_scores_the_histories_cut_to_their_first_events_as_unknown_users(self) -> None:
        model = _HistoryLengthModel([1, 2])
        metrics = validate(model, _valid())  # type: ignore[arg-type]
        assert model.calls == [([7], [5]), ([None], [1]), ([None], [2])]
        assert metrics["ndcg@10"] == 0.0  # warm: 30, 15, 14, 29..23: no 11
        assert metrics["cold1_ndcg@10"] == pytest.approx(1.0)  # post 11 first
        assert metrics["cold2_ndcg@10"] == pytest.approx(1 / np.log2(3))  # 12, then 11
        assert metrics["cold_ndcg@10"] == pytest.approx((1 + 1 / np.log2(3)) / 2)

    def test_is_off_when_no_cut_is_configured(self) -> None:
        model = _HistoryLengthModel([])
        metrics = validate(model, _valid())  # type: ignore[arg-type]
        assert len(model.calls) == 1
        assert not any(key.startswith("cold") for key in metrics)

    def test_fit_reports_it_per_epoch_and_for_the_kept_model_beside_popularity(
        self, tiny_data
    ) -> None:
        log, catalog = tiny_data
        config = tiny_config(epochs=2)
        config.ranker.enabled = False
        model = fit(log, catalog, config)
        for metrics in [model.metrics["model"], model.metrics["popularity"],
                        *model.metrics["two_tower_epochs"]]:  # fmt: skip
            assert {"ndcg@10", "cold1_ndcg@10", "cold2_ndcg@10", "cold_ndcg@10"} <= set(metrics)
            cold = (metrics["cold1_ndcg@10"] + metrics["cold2_ndcg@10"]) / 2
            assert metrics["cold_ndcg@10"] == pytest.approx(cold)
