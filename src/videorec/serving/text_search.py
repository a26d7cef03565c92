"""Nearest distinct texts to a query vector: exact for small catalogues, compressed beyond.

The content source scores the catalogue's distinct texts against the user's profile
(`similar.nearest_rows`). Exactly, that is one matrix-vector product over every text vector
(384 floats each): 0.3 ms at 6,000 texts, 7.6 ms at 100,000 and 79 ms at 1M
(`bench/content_scale.py`), on every new session. Past `EXACT_UP_TO` texts the catalogue index
also keeps the texts compressed for FAISS's fast-scan product quantizer (`CODE`: 96 bytes a
text instead of 1,536, scanned with SIMD lookups): a query takes the `REFINE` x k best texts
by the compressed scores, then scores those exactly and keeps the k best, so every returned
similarity is exact and only the choice of candidates is approximate.

An inverted file (clusters, a few scanned per query) was measured first and not kept: the
profile is a mean of up to 50 events and the source asks for 800 texts, so the true neighbours
spread over many clusters (recall 0.67 at 48 of 1,265 clusters; bench/results/
2026-11-28-scroll-refill.md). The quantizer scans every text, cheaply, so a broad query keeps
its neighbours (recall of the exact candidates 0.995 at 1M texts around 2,000 topics).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from videorec.kit.faiss_threads import one_thread

IntArray = npt.NDArray[np.int64]
Matrix = npt.NDArray[np.float32]
EXACT_UP_TO = 50_000
"""Distinct texts searched exactly (the compressed search pays off beyond)."""
CODE = "PQ192x4fs"
"""FAISS index factory string: 192 sub-vectors of 2 dimensions, 4 bits each, fast-scan layout."""
REFINE = 4
"""Candidates scored exactly per text asked for (`bench/content_scale.py --compressed`)."""
TRAIN_SAMPLE = 65_536
"""Texts the quantizer is trained on (a seeded sample)."""


@dataclass(frozen=True)
class CompressedTexts:
    """The text vectors compressed for FAISS (`CODE`), kept serialised: a uint8 array, stored
    and memory-mapped like the feed state's other arrays; the index is read from it once.

    Attributes:
        serialized: the FAISS index, serialised.
        trained_on: how many texts there were when the quantizer was trained (a state rebuilt
            with more than `RETRAIN_GROWTH` times as many trains it again).
    """

    serialized: npt.NDArray[np.uint8]
    trained_on: int

    @classmethod
    def loaded(cls, serialized: npt.NDArray[np.uint8], trained_on: int) -> CompressedTexts:
        """The compressed texts with their index read now (at start-up, not on the first
        request: ~0.1 s at 1M texts)."""
        texts = cls(serialized=serialized, trained_on=trained_on)
        texts.index  # noqa: B018 (reads and caches the index)
        return texts

    @cached_property
    def index(self) -> Any:
        with one_thread() as faiss:  # only a catalogue past `EXACT_UP_TO` texts imports it
            return faiss.deserialize_index(np.ascontiguousarray(self.serialized))

    @property
    def count(self) -> int:
        """Texts compressed."""
        return int(self.index.ntotal)

    def recoded(self, vectors: Matrix, same: int) -> CompressedTexts:
        """`vectors` (shape (u, d), unit rows) encoded with this trained quantizer, into a copy
        (this one is left as it is): past its codes only, when its texts are the first `same`
        of `vectors` and all of them; else every vector again."""
        with one_thread() as faiss:
            index = faiss.deserialize_index(np.ascontiguousarray(self.serialized))
            if same == index.ntotal:
                index.add(np.ascontiguousarray(vectors[same:], dtype=np.float32))
            else:
                index.reset()
                index.add(np.ascontiguousarray(vectors, dtype=np.float32))
            serialized = np.asarray(faiss.serialize_index(index), dtype=np.uint8)
        return CompressedTexts.loaded(serialized, self.trained_on)


RETRAIN_GROWTH = 2
"""A rebuilt state trains the quantizer again once the texts outnumber the texts it was
trained on this many times (the codes of later texts stay usable, but a catalogue that grew
far past its first texts should not keep a quantizer fitted to them)."""
PREFIX_CHUNK = 65_536
"""Rows compared at a time (a whole-matrix comparison held a 384 MB mask at 1M texts)."""


def compress_texts(
    vectors: Matrix, seed: int = 0, previous: tuple[Matrix, CompressedTexts] | None = None
) -> CompressedTexts:
    """`vectors` (shape (u, d), unit rows) compressed: the quantizer trained on a seeded sample,
    every vector encoded.

    Args:
        previous: the text vectors and compressed texts of the feed state before (the state is
            rebuilt every `refresh_s` while events arrive). Its quantizer is kept unless the
            texts grew past `RETRAIN_GROWTH` times those it was trained on: its codes are kept
            as they are when its vectors are the first of `vectors` (new posts' texts come
            last), else every text is encoded again (8.5 s at 1M, against 11.1 s to train:
            encoding is most of it, but the quantizer stays the same between states).
    """
    if previous is not None:
        vectors_before, before = previous
        n = int(vectors.shape[0])
        grown = n > RETRAIN_GROWTH * before.trained_on
        if vectors_before.shape[1:] == vectors.shape[1:] and not grown:
            same = _same_rows(vectors_before, vectors) if before.count == len(vectors_before) else 0
            return before if same == n == before.count else before.recoded(vectors, same)
    with one_thread() as faiss:
        data = np.ascontiguousarray(vectors, dtype=np.float32)
        index = faiss.index_factory(data.shape[1], CODE, faiss.METRIC_INNER_PRODUCT)
        rng = np.random.default_rng(seed)
        sample = rng.choice(data.shape[0], min(data.shape[0], TRAIN_SAMPLE), replace=False)
        index.train(data[np.sort(sample)])
        index.add(data)
        serialized = np.asarray(faiss.serialize_index(index), dtype=np.uint8)
    return CompressedTexts.loaded(serialized, trained_on=int(data.shape[0]))


def _same_rows(before: Matrix, now: Matrix) -> int:
    """How many first rows `before` and `now` share (compared a chunk at a time, stopping at the
    first chunk that differs)."""
    m = min(int(before.shape[0]), int(now.shape[0]))
    for start in range(0, m, PREFIX_CHUNK):
        stop = min(start + PREFIX_CHUNK, m)
        equal = np.all(before[start:stop] == now[start:stop], axis=1)
        if not equal.all():
            return start + int(np.argmin(equal))
    return m


def nearest_texts(
    vectors: Matrix, compressed: CompressedTexts | None, query: Matrix, k: int
) -> tuple[IntArray, npt.NDArray[np.float32]]:
    """The k texts closest to `query` (shape (d,), unit), best first (ties: lower text first),
    and their exact cosine (`TextQuery.best`, for one k)."""
    return TextQuery(vectors, compressed, query).best(k)


class TextQuery:
    """One query's nearest texts, asked for once or again with a larger k (a filtered request
    that found too few admissible posts): exact scores are computed at most once.

    Exact without `compressed`, or when the candidates it would re-score are half the texts or
    more; else the `REFINE` x k best by the compressed scores, re-scored exactly.
    """

    def __init__(self, vectors: Matrix, compressed: CompressedTexts | None, query: Matrix):
        self.vectors = vectors
        self.compressed = compressed
        self.query = np.asarray(query, np.float32)  # the sources' queries are float32 already
        self._exact: npt.NDArray[np.float32] | None = None

    def best(self, k: int) -> tuple[IntArray, npt.NDArray[np.float32]]:
        """The k texts closest to the query, best first, and their exact cosine."""
        if self.compressed is None or 2 * REFINE * k >= self.vectors.shape[0]:
            if self._exact is None:
                self._exact = (self.vectors @ self.query).astype(np.float32)
            top = best_first(self._exact, k)
            return top, self._exact[top]
        with one_thread():  # one query is one thread's work
            _, found = self.compressed.index.search(self.query[None, :], REFINE * k)
        ids = np.sort(found[0][found[0] >= 0]).astype(np.int64)  # ties: lower text first
        # einsum, not `@`: a BLAS gemv this small runs on BLAS's threads, which after the FAISS
        # search took 2 ms here against einsum's 0.2 ms on one thread
        sims = np.einsum("ij,j->i", self.vectors[ids], self.query).astype(np.float32)
        top = best_first(sims, k)
        return ids[top], sims[top]


def best_first(sims: npt.NDArray[np.float32], k: int) -> IntArray:
    """Indices of the k largest `sims` (ties: lower index first), best first; shape (min(k, g),).

    A partial sort: with thousands of distinct texts, sorting them all dominated the source.
    """
    if k < sims.size:
        top = np.argpartition(-sims, k - 1)[:k]
        # ties at the cut: take the lowest indices among equal values, as a full sort would
        cut = sims[top].min()
        top = np.concatenate([np.flatnonzero(sims > cut), np.flatnonzero(sims == cut)])[:k]
    else:
        top = np.arange(sims.size)
    return top[np.lexsort((top, -sims[top]))].astype(np.int64)
