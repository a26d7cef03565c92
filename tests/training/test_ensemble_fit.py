"""`two_tower.members`: members trained from consecutive seeds and served as one model, saved,
loaded and exported like a single two-tower."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.training.conftest import tiny_config
from videorec.models.ensemble import TwoTowerEnsemble
from videorec.serving.onnx_model import OnnxModel
from videorec.training import fit, load_artifact, save_artifact
from videorec.training.onnx_export import TOLERANCE, export_onnx

USERS = [1, 2, 3, None]


@pytest.fixture(scope="module")
def pair(tiny_data):
    """A two-member fit and the one-member fit of the same seed."""
    torch.set_num_threads(1)
    log, catalog = tiny_data
    config = tiny_config(epochs=2, members=2)
    config.ranker.enabled = False
    single = tiny_config(epochs=2)
    single.ranker.enabled = False
    return fit(log, catalog, config), fit(log, catalog, single)


def test_the_first_member_is_the_single_model_of_the_same_seed(pair) -> None:
    ensemble, single = pair
    assert isinstance(ensemble.two_tower, TwoTowerEnsemble)
    first, second = ensemble.two_tower.towers
    alone = single.two_tower.state_dict().values()
    for (name, a), b in zip(first.state_dict().items(), alone, strict=True):
        assert torch.equal(a, b), name
    pairs = zip(first.parameters(), second.parameters(), strict=True)
    assert not all(torch.equal(a, b) for a, b in pairs)


def test_each_members_epochs_are_reported_and_the_ensemble_validated(pair) -> None:
    ensemble, _ = pair
    epochs = ensemble.metrics["two_tower_epochs"]
    assert sorted({e["member"] for e in epochs}) == [0, 1]
    assert ensemble.post_vectors.shape == (ensemble.post_ids.shape[0], 16)
    served = ensemble.metrics["selection"]["retrieval_ndcg@10"]
    assert served not in {e["ndcg@10"] for e in epochs}  # the pair's own figure, not a member's


def test_it_saves_loads_and_exports_as_one_model(pair, tiny_data, tmp_path) -> None:
    from tests.training.test_onnx_export import _histories

    ensemble, _ = pair
    log, _ = tiny_data
    folder = save_artifact(ensemble, tmp_path, version="v-pair")
    assert {p.stem for p in (folder / "encodings").glob("*.npy")} == {"two_tower", "two_tower.1"}
    loaded = load_artifact(folder)
    assert isinstance(loaded.two_tower, TwoTowerEnsemble)
    np.testing.assert_array_equal(loaded.post_vectors, ensemble.post_vectors)
    meta = export_onnx(folder, loaded)
    assert meta["max_abs_diff"]["user_tower"] <= TOLERANCE
    onnx = OnnxModel(folder)
    for user, history in zip(USERS, _histories(log), strict=False):
        want = ensemble.user_vector(user, history)
        assert want.shape == (16,)
        np.testing.assert_allclose(loaded.user_vector(user, history), want, atol=1e-6)
        np.testing.assert_allclose(onnx.user_vector(user, history), want, atol=TOLERANCE)


def test_an_artifact_from_before_the_option_loads_as_one_two_tower(pair, tmp_path) -> None:
    import json

    _, single = pair
    folder = save_artifact(single, tmp_path, version="v-old")
    doc = json.loads((folder / "config.json").read_text())
    del doc["train"]["two_tower"]["members"]
    (folder / "config.json").write_text(json.dumps(doc))
    assert not isinstance(load_artifact(folder).two_tower, TwoTowerEnsemble)


def test_member_k_starts_from_seed_plus_k_even_without_dropout(tiny_data, monkeypatch) -> None:
    """Without dropout the members would otherwise start equal (the first member's training
    reseeds torch with `seed`) and differ by data order alone."""
    from videorec.models import builders
    from videorec.training import stages

    starts: list[dict[str, torch.Tensor]] = []

    def record(member, *args, **kwargs):
        starts.append({k: v.clone() for k, v in member.state_dict().items()})
        return [{"epoch": 1, "loss": 0.0, "ndcg@10": 0.0}]

    monkeypatch.setattr(stages, "train_two_tower", record)
    log, catalog = tiny_data
    config = tiny_config(members=3, dropout=0.0, member_processes=1)  # records here
    config.ranker.enabled = False
    config.short_history.enabled = False
    model = fit(log, catalog, config)
    assert len(starts) == 3
    tensors = {k.removeprefix("table_"): torch.from_numpy(np.asarray(v))
               for k, v in model.table.arrays().items() if k != "table_post_ids"}  # fmt: skip
    for k in (1, 2):
        torch.manual_seed(config.seed + k)
        fresh = builders.two_tower(tensors, **stages.model_sizes(model.pipeline),
                                   **stages.tower_args(config), sparse=True)  # fmt: skip
        for name, value in fresh.state_dict().items():
            assert torch.equal(starts[k][name], value), (k, name)
        assert not torch.equal(starts[k]["encoder.ids.weight"], starts[0]["encoder.ids.weight"])


def test_a_second_members_stored_encodings_are_what_loading_uses(pair, tmp_path) -> None:
    ensemble, _ = pair
    folder = save_artifact(ensemble, tmp_path, version="v-enc")
    stored = folder / "encodings" / "two_tower.1.npy"
    np.save(stored, np.zeros_like(np.load(stored)))  # a marker no encoder computes
    loaded = load_artifact(folder)
    assert isinstance(loaded.two_tower, TwoTowerEnsemble)
    frozen = loaded.two_tower.towers[1].encoder._frozen
    assert frozen is not None
    assert not frozen.any()
    assert loaded.two_tower.towers[0].encoder._frozen.any()


def test_a_kept_short_tower_saves_loads_and_exports_with_a_pair(tiny_data, tmp_path,
                                                                 monkeypatch) -> None:  # fmt: skip
    from tests.training.test_onnx_export import _histories
    from videorec.training import stages

    monkeypatch.setattr(stages, "dispatch_threshold", lambda *args: 2)  # keep it, whatever won
    log, catalog = tiny_data
    config = tiny_config(epochs=2, members=2)
    config.ranker.enabled = False
    model = fit(log, catalog, config)
    assert model.short_tower is not None
    assert model.short_history_events == 2
    folder = save_artifact(model, tmp_path, version="v-short")
    loaded = load_artifact(folder)
    assert loaded.short_history_events == 2
    meta = export_onnx(folder, loaded)
    assert meta["max_abs_diff"]["user_tower"] <= TOLERANCE
    onnx = OnnxModel(folder)
    short = log.select(np.flatnonzero(log.user_ids == log.user_ids[0])[:1])  # one event
    for user, history in [*zip(USERS, _histories(log), strict=False), (None, short)]:
        want = model.user_vector(user, history)
        np.testing.assert_allclose(loaded.user_vector(user, history), want, atol=1e-6)
        np.testing.assert_allclose(onnx.user_vector(user, history), want, atol=TOLERANCE)
    served = model.user_vector(None, short)
    assert not served[8:].any()  # the first member's short vector, zeros in the second's
