"""Pages 1-3's knobs (caps, exploration, MMR) chosen on VALIDATION users, never on test users.

One split of the data set (`videorec evaluate`'s: catalogue as of the cut, the neighbour lists'
models tuned as it tunes them, the feed's weights learned on validation as training learns
them). Every user with validation events is served from their training history once (the ranked
session pool, as `/feed` ranks it); then pages 1-3 are made from that pool with each knob set
below (`evaluation.served.session_pages`, `pick_page`'s code) and scored against the user's
validation posts. The rule: among the knob sets that keep at least `MIN_SLOTS` exploration slot
(the product shows new and little-seen posts) and whose pages cover at least `COVERAGE_MARGIN`
more of the catalogue (coverage@10) than the ranked pool does (so that "higher coverage" holds
beyond these users), the best NDCG@10 of pages 1-3 (ties: the higher coverage).

    PYTHONPATH=src python bench/page_knobs.py --data var/demo [--seed 0]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from videorec.evaluation.datasets import implicit_positives, load_dataset, min_positive_rating
from videorec.evaluation.matrix import to_matrices
from videorec.evaluation.offline import as_of_cut
from videorec.evaluation.scoring import evaluated_users, measure
from videorec.evaluation.served import (
    BLAS_THREADS,
    LIST_MODELS,
    PAGES,
    ServedEvaluation,
    ServedLists,
    serve_session,
    session_pages,
)
from videorec.evaluation.splits import split
from videorec.evaluation.tuning import tune
from videorec.features.text import EmbeddingCache
from videorec.serving.config import FeedConfig, load_feed_config
from videorec.settings import get_settings

CAPS = ((3, 8), (5, 12), (10, 16), (14, 8), (20, 20))
"""(per creator, per category) on one page of 20; 20 / 20 = no cap."""
EXPLORATION = ((0, 7), (1, 19), (1, 7), (2, 6), (3, 7))
"""(slots, after): explored posts per page and the page position they follow."""
MMR = (0.75, 1.0)
MIN_SLOTS = 1
COVERAGE_MARGIN = 0.02
"""Relative: coverage@10 at least 2 % above the ranked pool's."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="demo")
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--protocol", default="temporal")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    settings = get_settings()
    events, catalog = load_dataset(args.dataset, args.data)
    logs = split(implicit_positives(events, min_positive_rating(args.dataset)), args.protocol,
                 args.seed)  # fmt: skip
    known = as_of_cut(catalog, events, logs, args.protocol)
    m = to_matrices(logs, known)
    tuned = {n: tune(n, m.train, m.valid, seed=args.seed) for n in LIST_MODELS}
    cache = EmbeddingCache(settings.embedding_cache)
    config = load_feed_config(settings.feed_config)
    run = ServedEvaluation(logs, m, known, tuned, cache.encode, config, seed=args.seed)
    cache.save()
    started = time.perf_counter()
    users = evaluated_users(m.valid)
    sessions = {}
    with threadpool_limits(BLAS_THREADS, user_api="blas"):  # as `/feed` and the evaluation
        for user in users.tolist():
            user_id = int(m.user_ids[user])
            sessions[user] = serve_session(run.state, config, run.sources, user_id,
                                           run.full_history(user_id), pages=0)  # fmt: skip
    ranked = {u: run.columns(s.rows) for u, s in sessions.items()}
    base = measure(ServedLists("ranked", ranked, m.n_items), m.valid, m.train, m.train).values
    seconds, load = time.perf_counter() - started, os.getloadavg()[0]
    print(f"{args.dataset} {args.protocol}, seed {args.seed}: {users.size} validation users, "
          f"pools in {seconds:.0f} s, load {load:.1f}")  # fmt: skip
    print(f"ranked pool: NDCG@10 {base['ndcg@10']:.4f}, coverage@10 {base['coverage@10']:.4f}")
    print(f"configured: creator cap {config.max_per_creator}, category cap "
          f"{config.max_per_category}, {config.exploration_slots} slots after the "
          f"{config.exploration_after}th post, MMR {config.mmr_lambda}\n")  # fmt: skip
    print("| creator cap | category cap | slots | after | MMR λ | NDCG@10 | vs ranked "
          "| coverage@10 |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    results = []
    grid = [(caps, explore, mmr) for caps in CAPS for explore in EXPLORATION for mmr in MMR]
    for (creator, category), (slots, after), mmr in grid:
        knobs = config.model_copy(update={
            "max_per_creator": creator, "max_per_category": category,
            "exploration_slots": slots, "exploration_after": after, "mmr_lambda": mmr,
        })  # fmt: skip
        shown = {u: run.columns(s.rows[_pages(run, knobs, s.rows, s.scores)])
                 for u, s in sessions.items()}  # fmt: skip
        values = measure(ServedLists("shown", shown, m.n_items), m.valid, m.train, m.train).values
        ndcg, cover = values["ndcg@10"], values["coverage@10"]
        results.append(((creator, category, slots, after, mmr), ndcg, cover))
        print(f"| {creator} | {category} | {slots} | {after} | {mmr} | {ndcg:.4f} | "
              f"{ndcg / base['ndcg@10'] - 1:+.1%} | {cover:.4f} |", flush=True)  # fmt: skip
    floor = base["coverage@10"] * (1 + COVERAGE_MARGIN)
    wider = [r for r in results if r[2] >= floor and r[0][2] >= MIN_SLOTS]
    best = max(wider or results, key=lambda r: (r[1], r[2]))
    print(f"\nchosen on validation (best NDCG@10 with >= {MIN_SLOTS} exploration slot and "
          f"coverage@10 >= {floor:.4f}): "
          f"creator cap {best[0][0]}, category cap {best[0][1]}, {best[0][2]} slots after the "
          f"{best[0][3]}th post, MMR {best[0][4]}: NDCG@10 {best[1]:.4f} "
          f"({best[1] / base['ndcg@10'] - 1:+.1%}), coverage@10 {best[2]:.4f}")  # fmt: skip


def _pages(run: ServedEvaluation, knobs: FeedConfig, rows: np.ndarray, scores: np.ndarray
           ) -> np.ndarray:  # fmt: skip
    return session_pages(run.state.index, knobs, rows, scores, PAGES)


if __name__ == "__main__":
    main()
