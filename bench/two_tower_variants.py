"""Validation and test NDCG@10 of the two-tower alone under config overrides: how the defaults
of `training/config.py` were chosen.

    python bench/two_tower_variants.py movielens-100k random-811 0 '{"two_tower": {"epochs": 5}}'
    python bench/two_tower_variants.py demo temporal 0 '{}' --data var/demo
    python bench/two_tower_variants.py demo temporal 0 '{"features": {"use_text": true}}' \
        --data var/demo --text-cache var/embeddings.npz   # texts embedded once, then read

The validation line also gives the cold slices (`split.cold_events`: the validation users cut to
their first 1 and 2 events, folded in) beside popularity's.

Post counters are computed as of the split's cut (`as_of_cut`), as `videorec evaluate` does
(before 2026-11-27 (d) this script used the catalogue's lifetime counters: on `temporal` they
leak the validation and test periods). Trains `fit` on the split's training part, early-stops
on its validation part (printing each epoch), then ranks every item for the test users exactly
as `videorec evaluate` does. Text embeddings and the ranker are off unless the overrides turn
them on, to keep one run short.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from videorec.evaluation.datasets import implicit_positives, load_dataset, min_positive_rating
from videorec.evaluation.matrix import to_matrices
from videorec.evaluation.offline import as_of_cut
from videorec.evaluation.scoring import measure
from videorec.evaluation.splits import split
from videorec.evaluation.two_tower import TwoTowerSource
from videorec.features.text import EmbeddingCache
from videorec.training.config import TrainConfig
from videorec.training.fit import fit
from videorec.training.observer import SilentObserver

QUICK = {"features": {"use_text": False}, "ranker": {"enabled": False}}


class EpochPrinter(SilentObserver):
    def on_epoch(self, stage: str, epoch: int, loss: float, metrics: dict[str, float]) -> None:
        print(f"{stage} epoch {epoch}: loss {loss:.4f}, valid ndcg@10 {metrics['ndcg@10']:.4f}",
              flush=True)  # fmt: skip


def merged(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        out[key] = merged(out.get(key, {}), value) if isinstance(value, dict) else value
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset")
    parser.add_argument("protocol")
    parser.add_argument("seed", type=int)
    parser.add_argument("overrides", help="JSON merged into the quick config")
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--text-cache", type=Path, default=None,
                        help="embeddings.npz of text vectors to read (and add to)")  # fmt: skip
    args = parser.parse_args()
    overrides = json.loads(args.overrides)
    config = TrainConfig.model_validate(merged({**QUICK, "seed": args.seed}, overrides))
    events, catalog = load_dataset(args.dataset, args.data)
    logs = split(implicit_positives(events, min_positive_rating(args.dataset)), args.protocol,
                 args.seed)  # fmt: skip
    catalog = as_of_cut(catalog, events, logs, args.protocol)  # counters as evaluate has them
    m = to_matrices(logs, catalog)
    started = time.perf_counter()
    source = TwoTowerSource(logs.train, logs.valid, catalog, m.user_ids, m.item_ids,
                            seed=args.seed, config=config)  # fmt: skip
    cache = EmbeddingCache(args.text_cache) if args.text_cache else None
    source.model = fit(logs.train, catalog, config, validation=logs.valid, observer=EpochPrinter(),
                       text_encoder=cache.encode if cache else None)  # fmt: skip
    if cache:
        cache.save()
    ordered = logs.train.sorted_by_time()
    source.histories = [ordered.select(ordered.user_ids == u) for u in m.user_ids]
    source.columns = np.searchsorted(m.item_ids, np.asarray(source.model.post_ids))
    seconds = time.perf_counter() - started
    test = measure(source, m.test, (m.train + m.valid).tocsr(), m.train).values
    valid, popular = source.model.metrics["model"], source.model.metrics["popularity"]
    cold = ", ".join(f"{k} {valid[k]:.4f} (popularity {popular[k]:.4f})"
                     for k in valid if k.startswith("cold"))  # fmt: skip
    print(f"{json.dumps(overrides)}: valid ndcg@10 {valid['ndcg@10']:.4f}, valid {cold}, "
          f"test ndcg@10 {test['ndcg@10']:.4f}, fit {seconds:.0f} s")  # fmt: skip


if __name__ == "__main__":
    main()
