"""ONNX export of an artifact's user tower and ranker, so that serving runs without torch.

`export_onnx(folder, model)` writes `onnx/` into a model artifact:

    user_tower.onnx   (users (b,), history (b, L), weights (b, L)) -> user vectors (b, d)
                      (with the short-history tower, when kept, dispatched inside the graph)
    ranker.onnx       (users, history, weights, posts (b, c)) -> the ranker's blended score
                      (b, c) (absent when the artifact has no ranker)
    oov_vector.npy    the post tower's vector of an unknown post (table row 0), shape (d,)
    meta.json         the retrieval blend weight, the history length, the measured difference,
                      `short_history_events` (histories of 1..n events use the short tower)

Both graphs are traced from the public forward methods (`TwoTower.user_vectors` or
`models.short_history.UserTowers`, `Ranker` and `Ranker.blend`) with torch's
`torch.export`-based exporter, then run by ONNX Runtime on random inputs and compared with
PyTorch: an export whose outputs differ by more than `TOLERANCE` is refused (nothing is
written). `serving/onnx_model.py` loads these files.

Each graph keeps its weights in a side file (`user_tower.onnx.data`, `ranker.onnx.data`: ONNX
external data, which ONNX Runtime reads from beside the graph): the post table or the post
encoders' outputs baked into the user tower are ~1 GB at 1M posts (per member of a pair), and a
graph holding them inline would pass protobuf's 2 GB limit.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from videorec.errors import InvalidInput
from videorec.models.ranker import Ranker
from videorec.models.short_history import UserTowers
from videorec.training.artifact import load_artifact
from videorec.training.model import LoadedModel

TOLERANCE = 1e-4
"""Largest absolute difference allowed between ONNX Runtime's and PyTorch's outputs."""
FOLDER = "onnx"
CHECK_USERS = 8
CHECK_CANDIDATES = 64
SHORT_CHECKS = 3


class _BlendedRanker(nn.Module):
    def __init__(self, ranker: Ranker, blend: torch.Tensor) -> None:
        super().__init__()
        self.ranker = ranker
        self.register_buffer("blend", blend)

    def forward(
        self, users: torch.Tensor, history: torch.Tensor, weights: torch.Tensor, posts: torch.Tensor
    ) -> torch.Tensor:
        logits, rating = self.ranker(users, history, weights, posts)
        blended: torch.Tensor = self.ranker.blend(logits, rating, self.get_buffer("blend"))
        return blended


def export_onnx(folder: Path, model: LoadedModel, *, seed: int = 0) -> dict[str, Any]:
    """Write `folder/onnx/` for `model` (the artifact saved in `folder`); its `meta.json` content.

    Raises:
        InvalidInput: ONNX Runtime's outputs differ from PyTorch's by more than `TOLERANCE`.
    """
    model = _on_cpu(folder, model)
    inputs = _check_inputs(model, np.random.default_rng(seed))
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        work = Path(tmp)
        towers = UserTowers(model.two_tower, model.short_tower)
        diffs = {"user_tower": _export(towers, inputs[:3], work / "user_tower.onnx")}
        if model.ranker is not None:
            blend = torch.tensor(model.config.blend.head_weights(), dtype=torch.float32)
            ranker = _BlendedRanker(model.ranker, blend).eval()
            diffs["ranker"] = _export(ranker, inputs, work / "ranker.onnx")
        worst = max(diffs.values())
        if worst > TOLERANCE:
            raise InvalidInput(f"ONNX export differs from PyTorch by {worst:.2e} (> {TOLERANCE})")
        with torch.no_grad():
            oov = model.two_tower.post_vectors(torch.zeros(1, dtype=torch.long))[0].numpy()
        np.save(work / "oov_vector.npy", oov.astype(np.float32), allow_pickle=False)
        meta = {"retrieval": float(model.config.blend.retrieval),
                "history_length": int(model.pipeline.history_length),
                "short_history_events": model.short_history_events,
                "max_abs_diff": diffs, "tolerance": TOLERANCE}  # fmt: skip
        (work / "meta.json").write_text(json.dumps(meta, indent=2))
        target = folder / FOLDER
        if target.exists():
            shutil.rmtree(target)
        work.rename(target)  # whole or nothing: serving never sees half an export
        target.chmod(0o755)
    return meta


def _on_cpu(folder: Path, model: LoadedModel) -> LoadedModel:
    """`model`, or its saved artifact loaded on the CPU when it lives elsewhere: the exporter
    traces with CPU inputs, and a model trained with `--device cuda` still holds its weights and
    tables on the GPU (the trace then fails on mixed devices)."""
    tensors = [*model.two_tower.parameters(), *model.two_tower.buffers()]
    if all(t.device.type == "cpu" for t in tensors):
        return model
    return load_artifact(folder)


def _check_inputs(model: LoadedModel, rng: np.random.Generator) -> tuple[torch.Tensor, ...]:
    """Random users, padded histories and candidates (two or more of each: sizes 0 and 1 would
    be baked into the graph by the tracer). The first histories hold 1, 2 and 3 events, so both
    user towers are compared when a short-history tower is kept."""
    length = model.pipeline.history_length
    n_users = len(model.pipeline.users)
    n_rows = int(model.post_ids.shape[0]) + 1
    users = rng.integers(0, n_users, CHECK_USERS)
    history = rng.integers(0, n_rows, (CHECK_USERS, length))
    weights = rng.uniform(-0.5, 1.5, (CHECK_USERS, length)).astype(np.float32)
    for i in range(CHECK_USERS):  # left padding of varied lengths, as `histories` makes
        pad = int(rng.integers(0, length))
        if i < SHORT_CHECKS:  # i + 1 events of known posts (row > 0: they count as events)
            pad = max(0, length - 1 - i)
            history[i, pad:] = np.maximum(history[i, pad:], 1)
        history[i, :pad], weights[i, :pad] = 0, 0.0
    posts = rng.integers(0, n_rows, (CHECK_USERS, CHECK_CANDIDATES))
    return tuple(torch.from_numpy(np.asarray(a)) for a in (users, history, weights, posts))


def _export(module: nn.Module, inputs: tuple[torch.Tensor, ...], path: Path) -> float:
    """Export `module` to `path`; the largest |ONNX Runtime - PyTorch| on `inputs`."""
    import onnxruntime

    module = module.eval()
    batch = torch.export.Dim("batch", min=1)
    shapes: list[dict[int, Any]] = [{0: batch}, {0: batch}, {0: batch}]
    if len(inputs) == 4:
        shapes.append({0: batch, 1: torch.export.Dim("candidates", min=1)})
    names = ["users", "history", "weights", "posts"][: len(inputs)]
    with torch.no_grad(), warnings.catch_warnings(), _quiet_exporter():
        warnings.simplefilter("ignore")  # the exporter's own deprecation notices
        program = torch.onnx.export(module, inputs, dynamo=True, dynamic_shapes=tuple(shapes),
                                    input_names=names, output_names=["out"],
                                    verbose=False)  # fmt: skip
        assert program is not None
        program.save(str(path), external_data=True)  # weights beside the graph: see the module doc
        expected = module(*inputs).numpy()
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {n: t.numpy() for n, t in zip(names, inputs, strict=True)})[0]
    return float(np.max(np.abs(got - expected))) if expected.size else 0.0


EXPORTER_LOGGERS = ("torch.onnx", "onnxscript", "onnx_ir")


@contextmanager
def _quiet_exporter() -> Iterator[None]:
    """The exporter's and its optimiser's notices ("torchvision is not installed", "Skipping
    constant folding ...") kept out of a user's terminal during the block: they describe the
    exporter's internals, not this export, whose result is checked against PyTorch anyway.
    Errors still show."""
    loggers = [logging.getLogger(name) for name in EXPORTER_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
