"""What the content source costs per new session as the number of distinct post texts grows.

The content source (`serving/candidates/content.py`) scores every distinct text of the catalogue
against the user's content profile (`similar.nearest_rows`: one matrix-vector product over all
text vectors, 384 floats each, then a partial sort). Posts that share a text share a vector, so
its cost follows the distinct texts, not the posts. `bench/feed.py`'s synthetic catalogue has few
distinct texts at any size (`bench/synthetic.py`: ~6,000 at 10k posts and at 1M), which keeps
its one-off text encoding cheap, and so its 1M-post figures say nothing about a catalogue whose
posts have texts of their own. This bench times the source alone, in-process, on a catalogue
of N posts with N distinct texts (random unit vectors: the cost does not depend on the values),
for users with 50 events each, every user once (no cache reuse between requests), beside the
synthetic catalogue's distinct-text count.

    python bench/content_scale.py --texts 6000 100000 1000000 --requests 60
    python bench/content_scale.py --texts 100000 1000000 --topics 2000 --ivf
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
from videorec.serving.text_search import PROBES, cluster_texts  # noqa: E402

DIM = 384
HISTORY = 50


def text_vectors(n: int, topics: int, rng: np.random.Generator) -> np.ndarray:
    """N unit vectors: uniformly random (`topics` 0: no structure, the worst case for an
    inverted file), else around `topics` random centres (each text its topic's centre plus
    noise of the same norm: cosine ~0.5 within a topic)."""
    vectors = rng.standard_normal((n, DIM), dtype=np.float32)
    if topics:
        centres = rng.standard_normal((topics, DIM), dtype=np.float32)
        vectors += centres[rng.integers(0, topics, n)]
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def catalogue(
    n: int, topics: int, ivf: bool, rng: np.random.Generator
) -> tuple[CatalogIndex, LogStats]:
    """N posts, each with a text of its own, all public; with an inverted file if `ivf`."""
    vectors, inverted = text_vectors(n, topics, rng), None
    rows = np.arange(n, dtype=np.int64)
    text_of_row = rows
    if ivf:  # renumbered as `build_index` does: post r keeps its vector
        inverted, by_cluster = cluster_texts(vectors)
        vectors = np.ascontiguousarray(vectors[by_cluster])
        text_of_row = np.empty_like(by_cluster)
        text_of_row[by_cluster] = rows
    none = Groups(ptr=np.zeros(1, np.int64), rows=np.zeros(0, np.int64))
    index = CatalogIndex(
        post_ids=rows + 1, public=np.ones(n, bool), category_ids=rows % 10,
        creators=rows % 5000, views=np.zeros(n, np.float32), created_at=rows,
        text_vecs=vectors, text_of_row=text_of_row,
        text_groups=Groups.from_labels(text_of_row, n),
        mood_labels=[], mood_vecs=np.zeros((0, DIM), np.float32), mood_groups=none,
        fresh_order=rows[::-1].copy(), category_names={}, text_ivf=inverted,
    )  # fmt: skip
    stats = LogStats(trend=np.zeros(n, np.float32), trend_order=rows, category_top={},
                     by_category=none, covisit=sp.csr_matrix((n, n), dtype=np.float32))  # fmt: skip
    return index, stats


def context(index: CatalogIndex, stats: LogStats, rng: np.random.Generator) -> FeedContext:
    """A user with `HISTORY` likes of random posts."""
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
    parser.add_argument("--ivf", action="store_true", help="also with the inverted file")
    args = parser.parse_args()
    source = ContentSource()
    for n in args.texts:
        exact = run(source, n, args, ivf=False)
        line = f"{n:>9,} texts ({n * DIM * 4 / 2**20:,.0f} MiB), topics {args.topics}: exact " \
               f"p50 {exact['p50']:.2f} ms, p99 {exact['p99']:.2f} ms"  # fmt: skip
        if args.ivf and n > 1000:
            approx = run(source, n, args, ivf=True)
            shared = [len(set(a) & set(b)) / max(len(b), 1)
                      for a, b in zip(approx["found"], exact["found"], strict=True)]  # fmt: skip
            line += (f"; inverted file (built in {approx['build_s']:.1f} s, {PROBES} probes) "
                     f"p50 {approx['p50']:.2f} ms, p99 {approx['p99']:.2f} ms, "
                     f"recall of the exact {args.limit} candidates {np.mean(shared):.3f} "
                     f"(min {np.min(shared):.3f})")  # fmt: skip
        print(line, flush=True)


def run(source: ContentSource, n: int, args: argparse.Namespace, ivf: bool) -> dict[str, Any]:
    """The source's times over `args.requests` users (the same users and vectors for either
    search: one seed) and the rows it found for each."""
    rng = np.random.default_rng(n)
    started = time.perf_counter()
    index, stats = catalogue(n, args.topics, ivf, rng)
    build_s = time.perf_counter() - started
    contexts = [context(index, stats, rng) for _ in range(args.requests + 5)]
    for ctx in contexts[:5]:  # untimed: first touches
        source.fetch(ctx, args.limit)
    times, found = [], []
    for ctx in contexts[5:]:
        started = time.perf_counter()
        candidates = source.fetch(ctx, args.limit)
        times.append(time.perf_counter() - started)
        found.append([c.row for c in candidates])
    ms = np.asarray(times) * 1000
    return {"p50": np.median(ms), "p99": np.percentile(ms, 99), "found": found,
            "build_s": build_s}  # fmt: skip


if __name__ == "__main__":
    main()
