"""Nearest distinct texts to a query vector: exact for small catalogues, an inverted file beyond.

The content and mood sources score distinct texts against a query (`similar.nearest_rows`).
Exactly, that is one matrix-vector product over every text vector (384 floats each): 0.3 ms at
6,000 texts, 7.6 ms at 100,000 and 79 ms at 1M (`bench/content_scale.py`), on every new
session. Past `EXACT_UP_TO` texts the catalogue index gets an inverted file (IVF): the texts
are clustered by spherical k-means (FAISS, at build time), renumbered so that each cluster's
texts are one contiguous block of the vector matrix, and a query scores the centroids, then
only the texts of its `PROBES` nearest clusters, each block a contiguous slice (no copy). The
arrays (centroids, block offsets) are kept in the feed-state snapshot like every other array.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
Matrix = npt.NDArray[np.float32]
EXACT_UP_TO = 50_000
"""Distinct texts searched exactly; an inverted file beyond."""
PROBES = 48
"""Clusters scanned per query (`bench/content_scale.py` measures recall@800 against exact)."""


@dataclass(frozen=True)
class InvertedFile:
    """Clusters of the text vectors: cluster c holds texts `ptr[c]:ptr[c + 1]` (contiguous).

    Attributes:
        centroids: shape (c, d), unit vectors.
        ptr: shape (c + 1,), block offsets into the (renumbered) text vectors.
    """

    centroids: Matrix
    ptr: IntArray

    @property
    def clusters(self) -> int:
        return int(self.centroids.shape[0])


def cluster_texts(vectors: Matrix, seed: int = 0) -> tuple[InvertedFile, IntArray]:
    """An inverted file over `vectors` (shape (u, d), unit rows) and the renumbering it needs:
    `order` (shape (u,)) lists the texts cluster by cluster, so `vectors[order]` is the matrix
    the file's blocks index (text `order[i]` becomes text i)."""
    import faiss  # here: only a catalogue past `EXACT_UP_TO` texts pays for the import

    n, dim = vectors.shape
    clusters = int(np.clip(4 * np.sqrt(n), 16, 16_384))
    data = np.ascontiguousarray(vectors, dtype=np.float32)
    kmeans = faiss.Kmeans(dim, clusters, niter=12, seed=seed, spherical=True,
                          max_points_per_centroid=64, verbose=False)  # fmt: skip
    kmeans.train(data)
    centroids = np.ascontiguousarray(kmeans.centroids, dtype=np.float32)
    search = faiss.IndexFlatIP(dim)
    search.add(centroids)
    _, nearest = search.search(data, 1)
    owner = nearest[:, 0].astype(np.int64)
    order = np.argsort(owner, kind="stable").astype(np.int64)
    counts = np.bincount(owner, minlength=clusters)
    ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return InvertedFile(centroids=centroids, ptr=ptr), order


def nearest_texts(
    vectors: Matrix, ivf: InvertedFile | None, query: Matrix, k: int, widen: int = 1
) -> tuple[IntArray, npt.NDArray[np.float32]]:
    """The k texts closest to `query` (shape (d,), unit), best first (ties: lower text first),
    and their cosine; exact without `ivf`, else over the `PROBES x widen` nearest clusters."""
    if ivf is None:
        sims = (vectors @ query).astype(np.float32)
        top = best_first(sims, k)
        return top, sims[top]
    probes = best_first((ivf.centroids @ query).astype(np.float32), PROBES * widen)
    blocks = [(int(ivf.ptr[c]), int(ivf.ptr[c + 1])) for c in probes.tolist()]
    ids = np.concatenate([np.arange(a, b, dtype=np.int64) for a, b in blocks])
    sims = np.concatenate([vectors[a:b] @ query for a, b in blocks]).astype(np.float32)
    top = best_first(sims, k)
    order = np.lexsort((ids[top], -sims[top]))  # ties: lower text first, as the exact path
    return ids[top][order], sims[top][order]


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
