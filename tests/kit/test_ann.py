"""`kit.ann`: HNSW over the L2 form of unnormalised vectors finds the inner-product neighbours."""

from __future__ import annotations

import numpy as np

from tests.kit.counting import CountingIndex
from videorec.kit.ann import PostSearch, mips_to_l2, nearest
from videorec.training.config import IndexConfig
from videorec.training.model import build_index


def _vectors(n: int, seed: int) -> np.ndarray:
    """Vectors whose norms vary 1-30x, as a two-tower's `dot` post vectors do."""
    rng = np.random.default_rng(seed)
    directions = rng.normal(size=(n, 16)).astype(np.float32)
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    return (directions * rng.uniform(1, 30, (n, 1))).astype(np.float32)


def test_the_l2_form_orders_posts_as_inner_products_do() -> None:
    vectors, query = _vectors(500, 1), _vectors(1, 2)[0]
    lifted = mips_to_l2(vectors)
    assert np.allclose(np.linalg.norm(lifted, axis=1), np.linalg.norm(vectors, axis=1).max())
    distances = ((np.append(query, 0.0) - lifted) ** 2).sum(axis=1)
    assert np.array_equal(np.argsort(distances)[:50], np.argsort(-(vectors @ query))[:50])


def test_an_hnsw_index_returns_the_exact_top_posts_and_their_inner_products() -> None:
    vectors = _vectors(4000, 3)
    index = build_index(vectors, IndexConfig(hnsw_above=1000, ef_search=256))
    assert index.d == 17  # the L2 form
    post_ids = np.arange(4000, dtype=np.int64) + 10
    recalls = []
    for query in _vectors(20, 4):
        ids, sims = nearest(index, post_ids, query, 100)
        exact = np.argsort(-(vectors @ query))[:100] + 10
        recalls.append(len(set(ids.tolist()) & set(exact.tolist())) / 100)
        np.testing.assert_allclose(sims, vectors[ids - 10] @ query, rtol=1e-4, atol=1e-3)
        assert np.all(np.diff(sims) <= 1e-3)  # best first
    assert np.mean(recalls) >= 0.95


def test_an_exact_index_is_searched_as_before() -> None:
    vectors, query = _vectors(300, 5), _vectors(1, 6)[0]
    index = build_index(vectors, IndexConfig(hnsw_above=1000))
    ids, sims = nearest(index, np.arange(300, dtype=np.int64), query, 10)
    assert ids.tolist() == np.argsort(-(vectors @ query))[:10].tolist()
    np.testing.assert_allclose(sims, vectors[ids] @ query, rtol=1e-5)


class TestPostSearch:
    def test_reads_m_squared_once_and_not_per_query(self) -> None:
        vectors = _vectors(2000, 7)
        index = CountingIndex(build_index(vectors, IndexConfig(hnsw_above=1000, ef_search=256)))
        post_ids = np.arange(2000, dtype=np.int64)
        search = PostSearch(index, post_ids)
        found = [search.nearest(query, 20) for query in _vectors(10, 8)]
        assert index.reconstructed == 1
        for (ids, sims), query in zip(found, _vectors(10, 8), strict=True):
            np.testing.assert_allclose(sims, vectors[ids] @ query, rtol=1e-4, atol=1e-3)

    def test_an_empty_index_finds_nothing(self) -> None:
        index = build_index(np.zeros((0, 16), np.float32), IndexConfig(hnsw_above=-1))
        ids, sims = PostSearch(index, np.zeros(0, np.int64)).nearest(_vectors(1, 9)[0], 5)
        assert ids.shape == sims.shape == (0,)
