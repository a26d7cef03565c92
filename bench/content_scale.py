"""What the content source costs per new session as the number of distinct post texts grows.

The content source (`serving/candidates/content.py`) scores every distinct text of the catalogue
against the user's content profile (`similar.nearest_rows`: one matrix-vector product over all
text vectors, 384 floats each, then a partial sort). Posts that share a text share a vector, so
its cost follows the distinct texts, not the posts. `bench/feed.py`'s synthetic catalogue has few
distinct texts at any size (`bench/synthetic.py`: 600 title and mood pairs, plus the demo set's
~5,000 posts its own `videorec sync` run adds to a reused database: 5,589 at 10k posts), which
keeps its one-off text encoding cheap, so its 1M-post figures say nothing about a catalogue
whose posts have texts of their own. This bench times the source alone, in-process, on N posts
with N distinct texts, for users with 50 liked posts each, every user once: searched exactly
(every text vector), and with `--compressed` as the server searches past
`text_search.EXACT_UP_TO` texts (candidates by FAISS's fast-scan quantizer, scored exactly),
with the share of the exact search's candidates the compressed search also proposes. The
vectors are random unit vectors (`--topics 0`: no structure) or spread around `--topics`
random centres; an exact search costs the same either way.

    python bench/content_scale.py --texts 6000 100000 1000000 --requests 60
    python bench/content_scale.py --texts 100000 1000000 --topics 2000 --compressed

An inverted file over the texts was measured first and not kept (commit 0c99405, `--ivf`;
bench/results/2026-11-28-scroll-refill.md).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from videorec.features.log import KIND_CODES, InteractionLog  # noqa: E402
from videorec.serving.candidates.base import FeedContext  # noqa: E402
from videorec.serving.candidates.content import ContentSource  # noqa: E402
from videorec.serving.groups import Groups  # noqa: E402
from videorec.serving.index import CatalogIndex  # noqa: E402
from videorec.serving.popularity import LogStats  # noqa: E402
from videorec.serving.text_search import (  # noqa: E402
    CODE,
    REFINE,
    CompressedTexts,
    compress_texts,
)

DIM = 384
HISTORY = 50


def text_vectors(n: int, topics: int, rng: np.random.Generator) -> np.ndarray:
    """N unit vectors: uniformly random (`topics` 0), else each a random topic centre plus
    noise of the same scale (cosine ~0.5 within a topic)."""
    vectors = rng.standard_normal((n, DIM), dtype=np.float32)
    if topics:
        centres = rng.standard_normal((topics, DIM), dtype=np.float32)
        vectors += centres[rng.integers(0, topics, n)]
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def catalogue(
    vectors: np.ndarray, compressed: CompressedTexts | None
) -> tuple[CatalogIndex, LogStats]:
    """A post per text vector, all public; `compressed`: the vectors compressed."""
    n = vectors.shape[0]
    rows = np.arange(n, dtype=np.int64)
    none = Groups(ptr=np.zeros(1, np.int64), rows=np.zeros(0, np.int64))
    index = CatalogIndex(
        post_ids=rows + 1, public=np.ones(n, bool), category_ids=rows % 10,
        creators=rows % 5000, views=np.zeros(n, np.float32), created_at=rows,
        text_vecs=vectors, text_of_row=rows, text_groups=Groups.from_labels(rows, n),
        mood_labels=[], mood_vecs=np.zeros((0, DIM), np.float32), mood_groups=none,
        fresh_order=rows[::-1].copy(), category_names={}, text_compressed=compressed,
    )  # fmt: skip
    stats = LogStats(trend=np.zeros(n, np.float32), trend_order=rows, category_top={},
                     by_category=none, covisit=sp.csr_matrix((n, n), dtype=np.float32))  # fmt: skip
    return index, stats


def context(index: CatalogIndex, stats: LogStats, rng: np.random.Generator) -> FeedContext:
    """A user with `HISTORY` likes of random posts (excluded from what the source proposes)."""
    rows = np.sort(rng.choice(len(index), HISTORY, replace=False)).astype(np.int64)
    history = InteractionLog(
        user_ids=np.ones(HISTORY, np.int64), post_ids=index.post_ids[rows],
        kinds=np.full(HISTORY, KIND_CODES["like"], np.int8),
        ratings=np.full(HISTORY, np.nan, np.float32), timestamps=np.arange(HISTORY),
    )  # fmt: skip
    return FeedContext(index=index, stats=stats, user_id=1, history=history, history_rows=rows,
                       excluded_rows=rows)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, nargs="+", default=[6_000, 100_000, 1_000_000])
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--limit", type=int, default=200, help="candidates asked of the source")
    parser.add_argument("--topics", type=int, default=0,
                        help="texts around this many topics (0: uniformly random)")  # fmt: skip
    parser.add_argument("--compressed", action="store_true",
                        help="also search as the server does past EXACT_UP_TO texts")  # fmt: skip
    args = parser.parse_args()
    for n in args.texts:
        rng = np.random.default_rng(n)
        vectors = text_vectors(n, args.topics, rng)
        users = rng.integers(0, 2**31, args.requests + 5)
        exact = run(vectors, None, users, args)
        line = (
            f"{n:>9,} distinct texts ({n * DIM * 4 / 2**20:,.0f} MiB), topics "
            f"{args.topics}: exact p50 {exact['p50']:.2f} ms, p99 {exact['p99']:.2f} ms"
        )
        if args.compressed:
            started = time.perf_counter()
            compressed = compress_texts(vectors)
            built = time.perf_counter() - started
            approx = run(vectors, compressed, users, args)
            shared = [len(set(a) & set(b)) / max(len(b), 1)
                      for a, b in zip(approx["found"], exact["found"], strict=True)]  # fmt: skip
            line += (
                f"; compressed ({CODE}, refine {REFINE}x, built in {built:.1f} s, "
                f"{compressed.serialized.nbytes / 2**20:,.0f} MiB) p50 "
                f"{approx['p50']:.2f} ms, p99 {approx['p99']:.2f} ms, recall of the exact "
                f"candidates {np.mean(shared):.3f} (min {np.min(shared):.3f})"
            )
        print(line, flush=True)


def run(
    vectors: np.ndarray,
    compressed: CompressedTexts | None,
    users: np.ndarray,
    args: argparse.Namespace,
) -> dict[str, Any]:
    """The source's times over the users (seeds: the same users for either search) after 5
    untimed ones, and the rows it proposed to each."""
    index, stats = catalogue(vectors, compressed)
    source = ContentSource()
    contexts = [context(index, stats, np.random.default_rng(int(seed))) for seed in users]
    for ctx in contexts[:5]:  # untimed: first touches
        source.fetch(ctx, args.limit)
    times, found = [], []
    for ctx in contexts[5:]:
        started = time.perf_counter()
        candidates = source.fetch(ctx, args.limit)
        times.append(time.perf_counter() - started)
        found.append([c.row for c in candidates])
    ms = np.asarray(times) * 1000
    return {"p50": float(np.median(ms)), "p99": float(np.percentile(ms, 99)), "found": found}


if __name__ == "__main__":
    main()
