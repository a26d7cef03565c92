"""The packaged sentence encoder, loaded offline, and the on-disk embedding cache."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from videorec.features.text import DIM, EmbeddingCache, by_length, encode


def test_encode_gives_unit_vectors_offline() -> None:
    vectors = encode(["calm ocean sunset", "intense gym workout", ""])
    assert vectors.shape == (3, DIM)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_similar_texts_are_closer_than_unrelated() -> None:
    calm, peaceful, gym = encode(["calm and relaxing", "peaceful and serene", "heavy lifting"])
    assert calm @ peaceful > calm @ gym


def test_cache_round_trip_encodes_each_text_once(tmp_path) -> None:
    cache = EmbeddingCache(tmp_path / "emb.npz")
    first = cache.encode(["joy", "joy", "sadness"])
    assert len(cache) == 2
    cache.save()
    reloaded = EmbeddingCache(tmp_path / "emb.npz")
    assert len(reloaded) == 2
    np.testing.assert_array_equal(reloaded.encode(["sadness", "joy"]), first[[2, 0]])


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 cut short", b"not a cache at all"])
def test_an_unreadable_cache_file_is_an_empty_cache_replaced_on_save(
    tmp_path: Path, content: bytes
) -> None:
    """A cache file cut short by a crash made every later command fail with a traceback."""
    path = tmp_path / "emb.npz"
    path.write_bytes(content)
    cache = EmbeddingCache(path)
    assert len(cache) == 0
    cache._vectors["k"] = np.ones(DIM, np.float32)  # as an encoding would add it
    cache.save()
    assert len(EmbeddingCache(path)) == 1


def test_bf16_vectors_stay_within_tolerance_of_float32() -> None:
    texts = ["A day of protein #nutrition | Health/Food | recipe | intense", "calm ocean", ""]
    exact, fast = encode(texts, bf16=False), encode(texts, bf16=True)
    assert fast.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)
    assert (np.sum(exact * fast, axis=1) > 0.999).all()
    assert np.abs(exact - fast).max() < 0.01


def test_by_length_orders_by_tokens_not_characters() -> None:
    texts = ["calm", "calm sunset over a quiet ocean", "#a #b #c #d #e #f", "sea waves", ""]
    assert by_length(texts).tolist() == [2, 1, 3, 0, 4]


def test_batches_of_sorted_texts_come_back_in_the_callers_order() -> None:
    texts = ["gym", "a long walk by the calm sea at sunset with friends", "#x #y #z", "rain"]
    together = encode(texts, batch_size=2)
    alone = np.concatenate([encode([text]) for text in texts])
    np.testing.assert_allclose(together, alone, atol=1e-5)


def test_the_cache_encodes_on_its_own_thread_count_and_restores_the_callers(monkeypatch) -> None:
    import torch

    from videorec.features import text

    seen: list[int] = []

    def fake_encode(texts: list[str], **options: object) -> np.ndarray:
        seen.append(torch.get_num_threads())
        return np.ones((len(texts), DIM), np.float32)

    monkeypatch.setattr(text, "encode", fake_encode)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    caller = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        monkeypatch.setattr(text, "others_running", lambda: 0)  # an idle box
        EmbeddingCache(threads=2).encode(["calm"])
        EmbeddingCache(threads=0).encode(["calm"])
        EmbeddingCache().encode(["calm"])
        monkeypatch.setattr(text, "others_running", lambda: 5)  # a busy one
        EmbeddingCache(threads=0).encode(["sea"])
        assert seen == [2, 2, 1, 1]
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(caller)


@pytest.mark.parametrize(
    ("others", "cores", "threads"),
    [(0, 2, 2), (1, 2, 1), (5, 2, 1), (2, 8, 6), (0, 8, 8), (None, 2, 2)],
)
def test_every_core_is_every_core_other_work_leaves_idle(
    monkeypatch, others, cores, threads
) -> None:
    from videorec.features import text

    monkeypatch.setattr(text, "others_running", lambda: others)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)))
    assert text.idle_cores() == threads


def test_others_running_reads_the_running_count_less_the_asker(monkeypatch) -> None:
    from videorec.features import text

    class Loadavg:
        def __init__(self, _path: str) -> None:
            pass

        def read_text(self) -> str:
            return "0.50 0.40 0.30 3/200 12345\n"

    monkeypatch.setattr(text, "Path", Loadavg)
    assert text.others_running(looks=3, apart=0) == 2


def test_a_cache_counts_idle_cores_once(monkeypatch) -> None:
    from videorec.features import text

    counted: list[int] = []
    monkeypatch.setattr(text, "encode", lambda texts, **_: np.ones((len(texts), DIM), np.float32))
    monkeypatch.setattr(text, "idle_cores", lambda: counted.append(1) or 1)
    cache = EmbeddingCache(threads=0)
    for chunk in (["a", "b"], ["c"], ["d"]):
        cache.encode(chunk)
    assert len(counted) == 1


def test_an_empty_cache_is_truthy() -> None:
    cache = EmbeddingCache()
    assert len(cache) == 0
    assert (cache or None) is cache


def test_a_failed_export_is_tried_once_and_leaves_no_temporary_file(tmp_path, monkeypatch) -> None:
    import torch

    from videorec.features import text_onnx

    exports: list[str] = []

    def half_written(_model, _args, path: str, **_options) -> None:
        exports.append(path)
        Path(path).write_bytes(b"partial")
        raise RuntimeError("exporter failed")

    monkeypatch.setattr(torch.onnx, "export", half_written)
    folder = tmp_path / "failing"
    assert text_onnx.encoder_session(folder, 1) is None
    assert text_onnx.encoder_session(folder, 1) is None
    assert len(exports) == 1  # not tried again for every chunk
    assert list(folder.iterdir()) == []  # the half-written graph is gone


def test_onnx_runtime_gives_pytorchs_float32_vectors(tmp_path) -> None:
    texts = ["calm sunset over a quiet ocean", "gym", "#a #b #c #d #e #f", "", "sea waves " * 40]
    torch_vectors = encode(texts, bf16=False)
    onnx_vectors = encode(texts, bf16=False, onnx_dir=tmp_path)
    assert (tmp_path / "minilm-l6-v2.onnx").exists()
    assert np.min(np.sum(torch_vectors * onnx_vectors, axis=1)) >= 0.9999
    np.testing.assert_allclose(np.linalg.norm(onnx_vectors, axis=1), 1.0, atol=1e-5)


def test_onnx_runtime_is_used_without_bf16_and_pytorch_when_it_fails(tmp_path, monkeypatch) -> None:
    from videorec.features import text, text_onnx

    assert text_onnx.encoder_session(tmp_path / "ok", 1) is not None  # exported (by PyTorch)
    monkeypatch.setattr(text, "load_encoder", lambda: pytest.fail("PyTorch ran"))
    assert encode(["calm"], bf16=False, onnx_dir=tmp_path / "ok").shape == (1, DIM)
    monkeypatch.undo()

    def broken(path) -> None:
        raise RuntimeError("no exporter here")

    monkeypatch.setattr(text_onnx, "_export", broken)
    vectors = encode(["calm", "gym"], bf16=False, onnx_dir=tmp_path / "broken")
    np.testing.assert_allclose(vectors, encode(["calm", "gym"], bf16=False), atol=1e-6)
