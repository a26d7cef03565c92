"""`videorec models export`: the ONNX export serves the same scores as PyTorch, without torch."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from videorec.errors import InvalidInput
from videorec.features.log import InteractionLog
from videorec.models import builders
from videorec.serving.onnx_model import OnnxModel, has_onnx
from videorec.serving.registry import load_artifact_model
from videorec.training import load_artifact, onnx_export, save_artifact, split_by_user
from videorec.training.onnx_export import TOLERANCE, export_onnx
from videorec.training.stages import ranker_args

USERS = [1, 2, 3, 7, 424_242, None]


@pytest.fixture(scope="module")
def exported(trained, tmp_path_factory):
    """The tiny model's artifact with a ranker (the trained one was dropped by selection: a
    fresh one from the same builder exercises the same graph), exported."""
    folder = save_artifact(trained, tmp_path_factory.mktemp("onnx"), version="v-onnx")
    sizes = json.loads((folder / "config.json").read_text())["sizes"]
    tensors = {k.removeprefix("table_"): torch.from_numpy(np.asarray(v))
               for k, v in trained.table.arrays().items() if k != "table_post_ids"}  # fmt: skip
    torch.manual_seed(3)
    ranker = builders.ranker(tensors, **sizes, **ranker_args(trained.config))
    torch.save(ranker.state_dict(), folder / "ranker.pt")
    model = load_artifact(folder)
    assert model.ranker is not None
    return folder, export_onnx(folder, model), model


def _histories(log: InteractionLog) -> list[InteractionLog]:
    by_user = split_by_user(log)
    return [by_user.get(u, InteractionLog.empty()) if u else InteractionLog.empty() for u in USERS]


class TestOnnxExport:
    def test_scores_equal_pytorch_within_the_tolerance(self, exported, tiny_data) -> None:
        folder, meta, trained = exported
        log, catalog = tiny_data
        onnx = OnnxModel(folder)
        assert set(meta["max_abs_diff"]) == {"user_tower", "ranker"}
        assert max(meta["max_abs_diff"].values()) <= TOLERANCE
        candidates = np.concatenate([catalog.post_ids[:40], [999_999]])  # one unknown post
        for user, history in zip(USERS, _histories(log), strict=True):
            got, want = onnx.user_vector(user, history), trained.user_vector(user, history)
            np.testing.assert_allclose(got, want, atol=TOLERANCE)
            got, want = (
                onnx.score(user, history, candidates),
                trained.score(user, history, candidates),
            )
            np.testing.assert_allclose(got, want, atol=TOLERANCE)
            ids, sims = onnx.retrieve(user, history, 10)
            want_ids, want_sims = trained.retrieve(user, history, 10)
            np.testing.assert_allclose(sims, want_sims, atol=TOLERANCE)
            assert len(set(ids.tolist()) & set(want_ids.tolist())) >= 9  # ties may swap at the edge

    def test_the_feed_loads_the_export_when_the_artifact_has_one(self, exported) -> None:
        folder, *_ = exported
        assert has_onnx(folder)
        assert isinstance(load_artifact_model(str(folder)), OnnxModel)

    def test_the_weights_live_beside_the_graph_as_external_data(self, exported) -> None:
        """Protobuf caps one file at 2 GB; a 1M-post table in the graph itself would pass it."""
        import onnx

        folder, *_ = exported
        for name in ("user_tower", "ranker"):
            graph = onnx.load(str(folder / "onnx" / f"{name}.onnx"), load_external_data=False)
            big = [t for t in graph.graph.initializer if np.prod(t.dims) >= 1024]
            assert big
            assert all(t.data_location == onnx.TensorProto.EXTERNAL for t in big)
            assert (folder / "onnx" / f"{name}.onnx.data").is_file()

    def test_a_served_onnx_model_never_imports_torch(self, exported) -> None:
        folder, *_ = exported
        code = ("import sys; from videorec.serving.registry import load_artifact_model; "
                f"m = load_artifact_model({str(folder)!r}); "
                "from videorec.features.log import InteractionLog; "
                "m.score(1, InteractionLog.empty(), m.post_ids[:5]); "
                "print('torch' in sys.modules)")  # fmt: skip
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True).stdout  # fmt: skip
        assert out.strip() == "False"

    def test_an_export_that_differs_is_refused_and_writes_nothing(
        self, trained, tmp_path, monkeypatch
    ) -> None:
        folder = save_artifact(trained, tmp_path, version="v-bad")
        monkeypatch.setattr(onnx_export, "TOLERANCE", -1.0)  # any difference is too much
        with pytest.raises(InvalidInput, match="differs from PyTorch"):
            export_onnx(folder, load_artifact(folder))
        assert not has_onnx(folder)
        assert not any(p.name.startswith("tmp") for p in folder.iterdir())


def test_a_model_off_the_cpu_is_exported_from_its_saved_artifact(trained, tmp_path) -> None:
    """After `videorec train --device cuda` the trained model's weights are on the GPU; the
    export traces on the CPU, so it must export the artifact loaded there (the H100 run of
    2026-11-27 failed on mixed devices). A model moved to the `meta` device stands in for it:
    it has no data at all, so anything exported from it directly would fail."""
    folder = save_artifact(trained, tmp_path, version="v-device")
    elsewhere = load_artifact(folder)
    elsewhere.two_tower.to("meta")
    meta = export_onnx(folder, elsewhere)
    assert has_onnx(folder)
    assert meta["max_abs_diff"]["user_tower"] <= TOLERANCE


def test_an_unfrozen_post_encoder_exports_and_serves_as_pytorch(
    trained, tiny_data, tmp_path, monkeypatch
) -> None:
    """Above `FREEZE_ENCODERS_UP_TO` posts (250k) the model encodes history posts on the fly
    (`PostEncoder.pool`: masks and `embedding_bag` with offsets) instead of reading frozen
    encodings; the export and ONNX Runtime must agree with PyTorch on that path too."""
    from videorec.training import model as model_module

    monkeypatch.setattr(model_module, "FREEZE_ENCODERS_UP_TO", 0)
    folder = save_artifact(trained, tmp_path, version="v-unfrozen")
    unfrozen = load_artifact(folder)
    assert unfrozen.frozen_encodings() == {}  # the on-the-fly path
    meta = export_onnx(folder, unfrozen)
    assert meta["max_abs_diff"]["user_tower"] <= TOLERANCE
    onnx = OnnxModel(folder)
    for user, history in zip(USERS, _histories(tiny_data[0]), strict=True):
        np.testing.assert_allclose(onnx.user_vector(user, history),
                                   unfrozen.user_vector(user, history), atol=TOLERANCE)  # fmt: skip


def test_a_model_with_history_ids_exports_and_serves_as_pytorch(tiny_data, tmp_path) -> None:
    """`two_tower.history_ids`: the user-side id table is part of the exported user tower."""
    from tests.training.conftest import tiny_config
    from videorec.training import fit

    torch.set_num_threads(1)
    log, catalog = tiny_data
    model = fit(log, catalog, tiny_config(history_ids=True, epochs=2))
    assert model.two_tower.history_ids is not None
    folder = save_artifact(model, tmp_path, version="v-ids")
    meta = export_onnx(folder, load_artifact(folder))
    assert meta["max_abs_diff"]["user_tower"] <= TOLERANCE
    onnx = OnnxModel(folder)
    for user, history in zip(USERS, _histories(log), strict=True):
        np.testing.assert_allclose(onnx.user_vector(user, history),
                                   model.user_vector(user, history), atol=TOLERANCE)  # fmt: skip


def test_a_model_with_a_post_bias_exports_and_serves_as_pytorch(tiny_data, tmp_path) -> None:
    """`two_tower.post_bias`: the exported user tower gives the constant bias coordinate, and
    the served post vectors (the OOV one too) carry the bias."""
    from tests.training.conftest import tiny_config
    from videorec.training import fit

    torch.set_num_threads(1)
    log, catalog = tiny_data
    model = fit(log, catalog, tiny_config(post_bias=True, epochs=2))
    folder = save_artifact(model, tmp_path, version="v-bias")
    meta = export_onnx(folder, load_artifact(folder))
    assert meta["max_abs_diff"]["user_tower"] <= TOLERANCE
    onnx = OnnxModel(folder)
    for user, history in zip(USERS, _histories(log), strict=True):
        vector = onnx.user_vector(user, history)
        assert vector.shape == (9,)
        np.testing.assert_allclose(vector, model.user_vector(user, history), atol=TOLERANCE)
    oov = np.load(folder / "onnx" / "oov_vector.npy")
    np.testing.assert_allclose(oov, model._oov_vector, atol=1e-6)


EXPORT_SCRIPT = """
import torch
from pathlib import Path
from videorec.training.onnx_export import _export

class Tower(torch.nn.Module):
    def forward(self, users, history, weights):
        return (history * weights).sum(1, keepdim=True) + users.unsqueeze(1)

inputs = (torch.ones(2), torch.ones(2, 3), torch.ones(2, 3))
print("diff", _export(Tower(), inputs, Path({path!r})))
"""


def test_the_exporters_own_notices_stay_out_of_the_terminal(tmp_path) -> None:
    """A first `dev.py up` printed the exporter's "torchvision is not installed. Skipping ..."
    lines, which say nothing about this export."""
    script = EXPORT_SCRIPT.format(path=str(tmp_path / "tower.onnx"))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "diff 0.0" in done.stdout
    assert "torchvision" not in done.stderr
