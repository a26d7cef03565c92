"""What one two-tower retrieval query costs in `kit.ann`: a `PostSearch` kept per loaded model
(M^2 of the index's L2 form read once) against the earlier per-query form (M^2 read back from
the index at every query), interleaved in one run, in process CPU time.

    PYTHONPATH=src python bench/ann_query.py [--posts 100000] [--k 500] [--rounds 5]
"""

from __future__ import annotations

import argparse
import time

import faiss
import numpy as np

from videorec.kit.ann import PostSearch, mips_to_l2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--k", type=int, default=500)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    faiss.omp_set_num_threads(1)
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(args.posts, args.dim)).astype(np.float32)
    vectors *= rng.uniform(1, 30, (args.posts, 1)).astype(np.float32)  # `dot` norms vary
    index = faiss.IndexHNSWFlat(args.dim + 1, 32, faiss.METRIC_L2)
    index.hnsw.efSearch = 512  # the feed's (`serving.registry.ANN_EF_SEARCH`)
    index.add(mips_to_l2(vectors))
    post_ids = np.arange(args.posts, dtype=np.int64)
    queries = rng.normal(size=(args.queries, args.dim)).astype(np.float32)
    kept = PostSearch(index, post_ids)
    per_query: dict[str, list[float]] = {"kept": [], "per query": []}
    for _ in range(args.rounds):  # interleaved: the box's load hits both alike
        started = time.process_time()
        for query in queries:
            kept.nearest(query, args.k)
        per_query["kept"].append((time.process_time() - started) / args.queries)
        started = time.process_time()
        for query in queries:
            PostSearch(index, post_ids).nearest(query, args.k)  # M^2 read again: as before
        per_query["per query"].append((time.process_time() - started) / args.queries)
    started = time.process_time()
    for _ in range(20_000):
        index.reconstruct(0)
    read = (time.process_time() - started) / 20_000
    print(f"{args.posts} posts, k={args.k}, efSearch 512, {args.queries} queries x "
          f"{args.rounds} rounds (CPU time per query, median of rounds):")  # fmt: skip
    for name, values in per_query.items():
        print(f"  {name:>10}: {np.median(values) * 1e3:.3f} ms")
    ratio = np.median(per_query["per query"]) / np.median(per_query["kept"])
    print(f"  per-query form / kept: {ratio:.3f}x; reading M^2 alone: {read * 1e6:.2f} us")


if __name__ == "__main__":
    main()
