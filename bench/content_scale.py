"""What the content source costs per new session as the number of distinct post texts grows.

The content source (`serving/candidates/content.py`) scores every distinct text of the catalogue
against the user's content profile (`similar.nearest_rows`: one matrix-vector product over all
text vectors, 384 floats each, then a partial sort). Posts that share a text share a vector, so
its cost follows the distinct texts, not the posts. `bench/feed.py`'s synthetic catalogue has few
distinct texts at any size (`bench/synthetic.py`: ~5,600 at 10k posts, no more at 1M), which
keeps its one-off text encoding cheap, so its 1M-post figures say nothing about a catalogue
whose posts have texts of their own. This bench times the source alone, in-process, on N posts
with N distinct texts (random unit vectors: an exact search costs the same whatever the
values), for users with 50 liked posts each, every user once.

    python bench/content_scale.py --texts 6000 100000 1000000 --requests 60

An inverted file over the texts was measured against this exact search and not kept
(commit 0c99405, `--ivf`; bench/results/2026-11-28-scroll-refill.md).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

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

DIM = 384
HISTORY = 50


def catalogue(n: int, rng: np.random.Generator) -> tuple[CatalogIndex, LogStats]:
    """N posts, each with a text of its own (a random unit vector), all public."""
    vectors = rng.standard_normal((n, DIM), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    rows = np.arange(n, dtype=np.int64)
    none = Groups(ptr=np.zeros(1, np.int64), rows=np.zeros(0, np.int64))
    index = CatalogIndex(
        post_ids=rows + 1, public=np.ones(n, bool), category_ids=rows % 10,
        creators=rows % 5000, views=np.zeros(n, np.float32), created_at=rows,
        text_vecs=vectors, text_of_row=rows, text_groups=Groups.from_labels(rows, n),
        mood_labels=[], mood_vecs=np.zeros((0, DIM), np.float32), mood_groups=none,
        fresh_order=rows[::-1].copy(), category_names={},
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
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    source = ContentSource()
    for n in args.texts:
        index, stats = catalogue(n, rng)
        contexts = [context(index, stats, rng) for _ in range(args.requests + 5)]
        for ctx in contexts[:5]:  # untimed: first touches
            source.fetch(ctx, args.limit)
        times = []
        for ctx in contexts[5:]:
            started = time.perf_counter()
            found = source.fetch(ctx, args.limit)
            times.append(time.perf_counter() - started)
        ms = np.asarray(times) * 1000
        print(f"{n:>9,} distinct texts ({n * DIM * 4 / 2**20:,.0f} MiB of vectors): content "
              f"source p50 {np.median(ms):.2f} ms, p99 {np.percentile(ms, 99):.2f} ms "
              f"({len(found)} candidates)", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
