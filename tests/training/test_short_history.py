"""The short-history stage: its fine-tuning examples, the dispatch threshold chosen on the cold
validation slices, and a kept or dropped tower as the artifact, the evaluation and the export
carry it."""

from __future__ import annotations

import numpy as np
import pytest

from tests.training.conftest import tiny_config
from tests.training.test_data import _events
from videorec.features.log import InteractionLog
from videorec.serving.onnx_model import OnnxModel
from videorec.training import fit, load_artifact, save_artifact, split_by_user, stages
from videorec.training.onnx_export import TOLERANCE, export_onnx
from videorec.training.recipes.short_history import cut_histories, dispatch_threshold


class TestCutHistories:
    def test_keep_1_to_n_of_the_users_events_and_predict_their_other_positives(self) -> None:
        # user 1: posts 10..15, the last rated low (not a positive); user 2: posts 10, 16
        events = _events([1] * 6 + [2] * 2, [10, 11, 12, 13, 14, 15, 10, 16],
                         [80.0] * 5 + [5.0] + [80.0] * 2)  # fmt: skip
        users = np.unique(events.starts)
        rng = np.random.default_rng(0)
        lengths = set()
        for _ in range(50):
            cut = cut_histories(events, users, 3, rng, n_rows=len(np.unique(events.rows)) + 1)
            for i, user in enumerate(users):
                own = events.rows[user : events.ends[user]]
                kept = cut.rows[i][cut.rows[i] > 0]
                lengths.add(kept.shape[0])
                assert 1 <= kept.shape[0] <= 3
                assert set(kept.tolist()) <= set(own.tolist())
                assert (cut.rows[i][: 3 - kept.shape[0]] == 0).all()  # right-aligned
                assert list(kept) == sorted(kept, key=lambda r: list(own).index(r))  # in time order
                seen = set((np.flatnonzero(cut.seen[i]) + 1).tolist())
                targets = set((np.flatnonzero(cut.targets[i]) + 1).tolist())
                positives = set(own[events.weights[user : events.ends[user]] > 0].tolist())
                assert seen == set(kept.tolist())
                assert targets == positives - seen
        assert lengths == {1, 2, 3}


class TestDispatchThreshold:
    BASE = {"cold1_ndcg@10": 0.05, "cold2_ndcg@10": 0.06, "cold_ndcg@10": 0.055}

    def test_the_largest_slice_up_to_which_every_slice_gains(self) -> None:
        short = {"cold1_ndcg@10": 0.07, "cold2_ndcg@10": 0.08}
        assert dispatch_threshold(self.BASE, short, [1, 2], 0.0) == 2
        short = {"cold1_ndcg@10": 0.07, "cold2_ndcg@10": 0.06}
        assert dispatch_threshold(self.BASE, short, [2, 1], 0.0) == 1

    def test_only_consecutive_validated_lengths_from_one(self) -> None:
        base = {**self.BASE, "cold5_ndcg@10": 0.07}
        short = {"cold1_ndcg@10": 0.07, "cold2_ndcg@10": 0.08, "cold5_ndcg@10": 0.09}
        assert dispatch_threshold(base, short, [1, 2, 5], 0.0) == 2  # 3 and 4: not validated
        assert dispatch_threshold(base, short, [2, 5], 0.0) == 0  # no slice of 1 event

    def test_no_gain_at_the_first_slice_drops_the_tower(self) -> None:
        short = {"cold1_ndcg@10": 0.05, "cold2_ndcg@10": 0.09}
        assert dispatch_threshold(self.BASE, short, [1, 2], 0.0) == 0
        short = {"cold1_ndcg@10": 0.055, "cold2_ndcg@10": 0.09}
        assert dispatch_threshold(self.BASE, short, [1, 2], 0.01) == 0
        assert dispatch_threshold(self.BASE, {}, [1, 2], 0.0) == 0


@pytest.fixture(scope="module")
def fitted(tiny_data):
    """The tiny model with the short tower forced kept for 1-2 events, and forced dropped."""
    log, catalog = tiny_data
    config = tiny_config(epochs=3)
    config.ranker.enabled = False
    config.short_history.epochs = 2
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(stages, "dispatch_threshold", lambda *a: 2)
        kept = fit(log, catalog, config)
    dropped_config = config.model_copy(deep=True)
    dropped_config.short_history.min_gain = 1.0  # no cold NDCG@10 gains a whole 1.0
    dropped = fit(log, catalog, dropped_config)
    return kept, dropped


def _history(log: InteractionLog, user: int, n: int | None) -> InteractionLog:
    events = split_by_user(log)[user]
    return events.select(np.arange(len(events) if n is None else n))


class TestStage:
    def test_validation_figures_and_the_decision_are_in_the_metrics(self, fitted) -> None:
        kept, dropped = fitted
        for model, decision in ((kept, True), (dropped, False)):
            short = model.metrics["selection"]["short_history"]
            assert short["kept"] is decision
            assert short["max_events"] == (2 if decision else 0)
            assert {"cold1_ndcg@10", "cold2_ndcg@10"} <= set(short["short_tower"])
            assert {"cold1_ndcg@10", "cold2_ndcg@10"} <= set(short["two_tower"])
            assert len(model.metrics["short_history_epochs"]) >= 1
        assert kept.short_tower is not None
        assert dropped.short_tower is None

    def test_short_histories_get_the_short_towers_vector_and_others_the_two_towers(
        self, fitted, tiny_data
    ) -> None:
        kept, _ = fitted
        log, _ = tiny_data
        user = int(log.user_ids[0])
        histories = [_history(log, user, n) for n in (1, 2, 3, None)]
        got = kept.user_vectors([None] * 4, histories)
        short_tower = kept.short_tower
        kept.short_tower = None
        try:
            warm = kept.user_vectors([None] * 4, histories)
        finally:
            kept.short_tower = short_tower
        assert not np.allclose(got[:2], warm[:2])
        np.testing.assert_array_equal(got[2:], warm[2:])

    def test_the_model_says_which_histories_its_short_tower_serves(self, fitted, tiny_data) -> None:
        """What the feed's cold path asks: 1..2 events on posts the model knows."""
        kept, dropped = fitted
        log, _ = tiny_data
        user = int(log.user_ids[0])
        served = [kept.serves_short_history(_history(log, user, n)) for n in (0, 1, 2, 3)]
        assert served == [False, True, True, False]
        assert not dropped.serves_short_history(_history(log, user, 1))
        unknown = _history(log, user, 1)
        unknown = InteractionLog(unknown.user_ids, np.array([10**12]), unknown.kinds,
                                 unknown.ratings, unknown.timestamps)  # fmt: skip
        assert not kept.serves_short_history(unknown)  # a post newer than the model

    def test_the_artifact_keeps_the_tower_only_when_kept(self, fitted, tiny_data, tmp_path) -> None:
        kept, dropped = fitted
        log, _ = tiny_data
        histories = [_history(log, int(log.user_ids[0]), n) for n in (1, 2, None)]
        loaded = load_artifact(save_artifact(kept, tmp_path, version="kept"))
        assert (tmp_path / "kept" / "short_tower.pt").is_file()
        assert loaded.short_tower is not None
        assert int(loaded.short_tower.get_buffer("max_events")) == 2
        np.testing.assert_allclose(
            loaded.user_vectors([None] * 3, histories),
            kept.user_vectors([None] * 3, histories), atol=1e-6,
        )  # fmt: skip
        loaded = load_artifact(save_artifact(dropped, tmp_path, version="dropped"))
        assert not (tmp_path / "dropped" / "short_tower.pt").exists()
        assert loaded.short_tower is None

    def test_onnx_serves_both_towers_as_pytorch_does(self, fitted, tiny_data, tmp_path) -> None:
        kept, _ = fitted
        log, _ = tiny_data
        folder = save_artifact(kept, tmp_path, version="onnx")
        model = load_artifact(folder)
        meta = export_onnx(folder, model)
        assert meta["short_history_events"] == 2
        assert meta["max_abs_diff"]["user_tower"] <= TOLERANCE
        onnx = OnnxModel(folder)
        for user in np.unique(log.user_ids)[:5].tolist():
            for n in (1, 2, 3, None):
                history = _history(log, user, n)
                assert onnx.serves_short_history(history) == model.serves_short_history(history)
                for uid in (None, user):
                    np.testing.assert_allclose(
                        onnx.user_vector(uid, history), model.user_vector(uid, history),
                        atol=TOLERANCE,
                    )  # fmt: skip


def test_the_stage_is_skipped_when_disabled(tiny_data) -> None:
    log, catalog = tiny_data
    config = tiny_config(epochs=2)
    config.ranker.enabled = False
    config.short_history.enabled = False
    model = fit(log, catalog, config)
    assert model.short_tower is None
    assert "short_history" not in model.metrics["selection"]
    assert model.metrics["short_history_epochs"] == []


def test_the_stage_is_skipped_above_the_full_softmax_size(tiny_data) -> None:
    """Its softmax runs over every post; large catalogues skip it and say so."""
    log, catalog = tiny_data
    config = tiny_config(epochs=2, full_softmax_up_to=10)
    config.ranker.enabled = False
    model = fit(log, catalog, config)
    assert model.short_tower is None
    assert model.metrics["selection"]["short_history"] == {
        "kept": False, "max_events": 0, "skipped": "catalogue above full_softmax_up_to",
    }  # fmt: skip


def test_with_user_ids_a_known_users_short_history_is_served_as_trained(
    tiny_data, tmp_path
) -> None:
    """`two_tower.user_id = true`: the short tower was fine-tuned on the unknown user's row, so
    a known user with 1-2 events gets the vector of that row, in PyTorch and in the ONNX
    export; longer histories keep the two-tower's vector with the user's own id."""
    log, catalog = tiny_data
    config = tiny_config(epochs=2, user_id=True)
    config.ranker.enabled = False
    config.short_history.epochs = 1
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(stages, "dispatch_threshold", lambda *a: 2)
        model = fit(log, catalog, config)
    folder = save_artifact(model, tmp_path, version="ids")
    export_onnx(folder, load_artifact(folder))
    onnx = OnnxModel(folder)
    user = int(log.user_ids[0])
    for n, short in ((1, True), (2, True), (None, False)):
        history = _history(log, user, n)
        for served in (model, onnx):
            own, unknown = served.user_vector(user, history), served.user_vector(None, history)
            assert np.allclose(own, unknown, atol=TOLERANCE) is short, (n, type(served))
