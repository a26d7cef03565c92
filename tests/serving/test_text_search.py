"""The content source's text search past `EXACT_UP_TO` texts: candidates chosen by a compressed
scan, similarities exact; kept in the feed-state snapshot."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from videorec.features.log import PostCatalog
from videorec.serving import index as index_module
from videorec.serving.groups import Groups
from videorec.serving.index import build_index
from videorec.serving.popularity import LogStats
from videorec.serving.snapshot import load_snapshot, save_snapshot
from videorec.serving.text_search import REFINE, compress_texts, nearest_texts

DIM = 384


def _vectors(n: int, seed: int = 3) -> np.ndarray:
    """Unit vectors around 40 topics (seeded)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((40, DIM), dtype=np.float32)
    vectors = rng.standard_normal((n, DIM), dtype=np.float32) + centres[rng.integers(0, 40, n)]
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def _profiles(vectors: np.ndarray, count: int = 12) -> list[np.ndarray]:
    """Queries as the content source makes them: the normalised mean of 50 texts."""
    rng = np.random.default_rng(5)
    means = [vectors[rng.choice(vectors.shape[0], 50, replace=False)].mean(0) for _ in range(count)]
    return [(m / np.linalg.norm(m)).astype(np.float32) for m in means]


@pytest.fixture(scope="module")
def texts() -> tuple[np.ndarray, object]:
    vectors = _vectors(4000)
    return vectors, compress_texts(vectors)


def test_the_compressed_search_finds_the_exact_search_s_texts_with_exact_similarities(
    texts: tuple[np.ndarray, object],
) -> None:
    vectors, compressed = texts
    k = 200  # 2 x REFINE x k = 1,600 < 4,000 texts: the compressed path
    assert 2 * REFINE * k < vectors.shape[0]
    recalls = []
    for query in _profiles(vectors):
        exact_ids, exact_sims = nearest_texts(vectors, None, query, k)
        ids, sims = nearest_texts(vectors, compressed, query, k)  # type: ignore[arg-type]
        assert ids.shape == (k,)
        assert len(set(ids.tolist())) == k
        np.testing.assert_allclose(sims, vectors[ids] @ query, rtol=0, atol=1e-5)
        assert np.all(np.diff(sims) <= 0)  # best first
        recalls.append(len(set(ids.tolist()) & set(exact_ids.tolist())) / k)
    assert min(recalls) >= 0.95, recalls


def test_when_the_candidates_would_be_half_the_texts_the_search_is_exact(
    texts: tuple[np.ndarray, object],
) -> None:
    vectors, compressed = texts
    k = vectors.shape[0] // (2 * REFINE)
    for query in _profiles(vectors, 3):
        exact = nearest_texts(vectors, None, query, k)
        found = nearest_texts(vectors, compressed, query, k)  # type: ignore[arg-type]
        np.testing.assert_array_equal(found[0], exact[0])
        np.testing.assert_array_equal(found[1], exact[1])


def _catalog(n: int) -> PostCatalog:
    ids = np.arange(1, n + 1, dtype=np.int64)
    return PostCatalog(
        post_ids=ids, category_ids=np.ones(n, np.int64), creators=[f"c{i % 7}" for i in range(n)],
        created_at=ids.copy(), texts=[f"text {i}" for i in range(n)],
        mood_terms=[[] for _ in range(n)],
    )  # fmt: skip


def _stats(n: int) -> LogStats:
    none = Groups(ptr=np.zeros(1, np.int64), rows=np.zeros(0, np.int64))
    return LogStats(trend=np.zeros(n, np.float32), trend_order=np.arange(n), category_top={},
                    by_category=none, covisit=sp.csr_matrix((n, n)))  # fmt: skip


def _encode(labels: list[str]) -> np.ndarray:
    """A stand-in for the text encoder: text i's vector is `_vectors`' row i."""
    table = _vectors(4000)
    return table[[int(label.split()[-1]) for label in labels]] if labels else table[:0]


def test_the_index_compresses_past_the_threshold_and_a_snapshot_keeps_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At or under `EXACT_UP_TO` distinct texts nothing is compressed; past it the index holds
    the compressed texts, and a snapshot's index searches exactly as the built one."""
    assert build_index(_catalog(3000), _encode).text_compressed is None  # 3,000 <= 50,000
    monkeypatch.setattr(index_module, "EXACT_UP_TO", 2000)
    built = build_index(_catalog(3000), _encode)
    assert built.text_compressed is not None
    stats = _stats(3000)
    save_snapshot(tmp_path, "k", built, stats)
    loaded = load_snapshot(tmp_path, "k")
    assert loaded is not None
    assert loaded[0].text_compressed is not None
    for query in _profiles(np.asarray(built.text_vecs), 3):
        want = nearest_texts(built.text_vecs, built.text_compressed, query, 100)
        got = nearest_texts(loaded[0].text_vecs, loaded[0].text_compressed, query, 100)
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])


def test_a_damaged_compressed_array_makes_the_snapshot_unreadable_not_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A snapshot is ignored when damaged (the state is then built again), FAISS's bytes too."""
    monkeypatch.setattr(index_module, "EXACT_UP_TO", 2000)
    built = build_index(_catalog(3000), _encode)
    stats = _stats(3000)
    folder = save_snapshot(tmp_path, "k", built, stats)
    np.save(folder / "text_compressed.npy", np.zeros(64, np.uint8))
    assert load_snapshot(tmp_path, "k") is None


def test_the_content_source_searches_the_compressed_texts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the threshold the content source goes through the compressed index (counted), and
    proposes the posts the exact search would (recall, as above)."""
    from videorec.features.log import KIND_CODES, InteractionLog
    from videorec.serving.candidates.base import FeedContext
    from videorec.serving.candidates.content import ContentSource

    monkeypatch.setattr(index_module, "EXACT_UP_TO", 2000)
    built = build_index(_catalog(3000), _encode)
    assert built.text_compressed is not None
    searches: list[int] = []
    real = built.text_compressed.index

    class Counting:
        def search(self, *args: object) -> object:
            searches.append(1)
            return real.search(*args)

    rows = np.arange(0, 3000, 61, dtype=np.int64)
    history = InteractionLog(
        user_ids=np.ones(rows.size, np.int64), post_ids=built.post_ids[rows],
        kinds=np.full(rows.size, KIND_CODES["like"], np.int8),
        ratings=np.full(rows.size, np.nan, np.float32), timestamps=np.arange(rows.size),
    )  # fmt: skip
    ctx = FeedContext(index=built, stats=_stats(3000), user_id=1, history=history,
                      history_rows=rows, excluded_rows=rows)  # fmt: skip
    exact = ContentSource().fetch(
        FeedContext(
            **{
                **ctx.__dict__,
                "index": index_module.CatalogIndex(**{**built.__dict__, "text_compressed": None}),
            }
        ),  # fmt: skip
        50,  # 4 x 50 texts asked: 2 x REFINE x 200 < 3,000, so the compressed path
    )
    monkeypatch.setitem(built.text_compressed.__dict__, "index", Counting())
    found = ContentSource().fetch(ctx, 50)
    assert searches
    assert len(found) == len(exact) == 50
    shared = {c.row for c in found} & {c.row for c in exact}
    assert len(shared) >= 47


def test_a_rebuilt_state_keeps_the_trained_quantizer_until_the_texts_outgrow_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Unchanged texts: the same compressed texts. New texts after the old ones, or a changed
    text: encoded with the quantizer trained before (training would fail here). More than
    `RETRAIN_GROWTH` times the texts it was trained on: trained again."""
    import faiss

    from videorec.serving import text_search

    vectors = _vectors(7000)
    first = compress_texts(vectors[:3000])
    assert first.trained_on == 3000

    def no_training(*args: object) -> object:
        raise AssertionError("the quantizer was trained again")

    monkeypatch.setattr(faiss, "index_factory", no_training)
    monkeypatch.setattr(text_search, "PREFIX_CHUNK", 700)  # compared in chunks
    assert compress_texts(vectors[:3000], previous=(vectors[:3000], first)) is first
    grown = compress_texts(vectors[:4000], previous=(vectors[:3000], first))
    assert (grown.count, grown.trained_on, first.count) == (4000, 3000, 3000)
    edited = vectors[:3000].copy()
    edited[2100] = vectors[3500]
    recoded = compress_texts(edited, previous=(vectors[:3000], first))
    assert recoded.count == 3000
    for query in _profiles(vectors[:4000], 3):
        exact_ids, _ = nearest_texts(vectors[:4000], None, query, 200)
        ids, _ = nearest_texts(vectors[:4000], grown, query, 200)
        assert len(set(ids.tolist()) & set(exact_ids.tolist())) >= 190
        exact_ids, _ = nearest_texts(edited, None, query, 200)
        ids, _ = nearest_texts(edited, recoded, query, 200)
        assert len(set(ids.tolist()) & set(exact_ids.tolist())) >= 190
    with pytest.raises(AssertionError, match="trained again"):
        compress_texts(vectors, previous=(vectors[:3000], first))  # 7,000 > 2 x 3,000


def test_a_rebuilt_index_passes_the_previous_compressed_texts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`build_index(previous=...)` reuses the compressed texts (no training), as the registry's
    refresh calls it."""
    import faiss

    monkeypatch.setattr(index_module, "EXACT_UP_TO", 2000)
    built = build_index(_catalog(3000), _encode)

    def no_training(*args: object) -> object:
        raise AssertionError("the quantizer was trained again")

    monkeypatch.setattr(faiss, "index_factory", no_training)
    again = build_index(_catalog(3000), _encode, previous=built)
    assert again.text_compressed is built.text_compressed
