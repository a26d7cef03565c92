"""The MiniLM text encoder on ONNX Runtime, for CPUs without native bfloat16.

There PyTorch runs the encoder in float32. The same float32 graph on ONNX Runtime gives the same
vectors (least cosine 0.999999 on 512 demo post texts) for 0.57-0.60x the CPU seconds on an
AVX512 CPU (PyTorch 8.5-9.0 s, ONNX Runtime 5.1 s), and the same CPU seconds on an AVX2 one
(bench/results/2026-11-28-traintime-g.md, -h.md). Where bfloat16 is native, PyTorch under
bfloat16 autocast is faster still (3.0 s) and stays in use (`features.text.encode`).

The graph is exported once from the packaged weights (nothing is downloaded) into `folder` (the
embedding cache's), with the mean pooling of sentence-transformers inside it; the caller
normalises. Any failure to export or load returns None, and the caller keeps PyTorch.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import structlog

log = structlog.get_logger(__name__)

FILE = "minilm-l6-v2.onnx"
_EXPORT_LOCK = threading.Lock()
_FAILED: set[Path] = set()
"""Folders whose encoder could not be exported or loaded in this process: not tried again (a
first encoding calls `encode` once per chunk of texts)."""


def encoder_session(folder: Path, threads: int) -> Any | None:
    """An ONNX Runtime session of the encoder in `folder` (exported first when missing), on
    `threads` intra-op threads; None when export or loading fails, now or before."""
    path = folder / FILE
    if path in _FAILED:
        return None
    try:
        with _EXPORT_LOCK:
            if not path.exists():
                _export(path)
        return _session(str(path), threads)
    except Exception as exc:  # an encoder that cannot run here falls back to PyTorch
        _FAILED.add(path)
        log.warning("text_onnx_unavailable", folder=str(folder),
                    error=f"{type(exc).__name__}: {exc}")  # fmt: skip
        return None


def run(session: Any, ids: list[list[int]]) -> npt.NDArray[np.float32]:
    """Mean-pooled token vectors of token id lists (each padded to the longest), (n, 384)."""
    width = max(len(row) for row in ids)
    tokens = np.zeros((len(ids), width), np.int64)
    mask = np.zeros_like(tokens)
    for i, row in enumerate(ids):
        tokens[i, : len(row)] = row
        mask[i, : len(row)] = 1
    feed = {"input_ids": tokens, "attention_mask": mask, "token_type_ids": np.zeros_like(tokens)}
    return np.asarray(session.run(None, feed)[0], np.float32)


@lru_cache(maxsize=4)
def _session(path: str, threads: int) -> Any:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def _export(path: Path) -> None:
    """Trace the packaged model (through its mean pooling) into `path`, atomically."""
    import torch

    from videorec.features.text import load_encoder

    bert = load_encoder()[0].auto_model.eval()

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(
            self,
            input_ids: torch.Tensor,
            attention_mask: torch.Tensor,
            token_type_ids: torch.Tensor,
        ) -> torch.Tensor:
            hidden: torch.Tensor = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)

    # a padded example: the mask must stay an input of the graph (the test checks padded batches)
    ids = torch.tensor([[101, 2000, 2001, 102], [101, 2000, 102, 0]])
    mask = (ids > 0).long()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp.onnx")  # one per writer process
    axes = {0: "batch", 1: "tokens"}
    with torch.inference_mode(), warnings.catch_warnings(), _removed_unless_kept(tmp):
        warnings.simplefilter("ignore")  # the legacy exporter's notices; the test checks vectors
        torch.onnx.export(
            Pooled(), (ids, mask, torch.zeros_like(ids)), str(tmp),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["pooled"], opset_version=17, dynamo=False,
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes,
                          "pooled": {0: "batch"}},
        )  # fmt: skip
        tmp.replace(path)
    log.info("text_onnx_exported", path=str(path))


@contextmanager
def _removed_unless_kept(tmp: Path) -> Iterator[None]:
    """Remove `tmp` when the block fails (a half-written export), whatever it raised."""
    try:
        yield
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
