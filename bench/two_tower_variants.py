"""Validation and test NDCG@10 of the two-tower alone under config overrides: how the defaults
of `training/config.py` and of `configs/train/default.toml` were chosen.

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
as `videorec evaluate` does. Since 2026-11-28 the defaults train a pair of two-towers
(`two_tower.members = 2`); the earlier results files' rows were one two-tower (add
`{"two_tower": {"members": 1}}` to compare with them). Text embeddings and the ranker are off
unless the overrides turn them on, to keep one run short.

The base is the config `videorec train` uses (`configs/train/default.toml`, or `--train-config
FILE`), as `videorec evaluate` trains it; `--code-defaults` starts from the code defaults of
`TrainConfig` instead, the base of every results file before 2026-11-28 (k).

`--serve-lengths 200,800,0` then scores validation and test again with the fitted model reading
the latest L events of each history (0: all of it), the training unchanged: how long a history
the user tower should read at serving.

`--save-scores PATH.npz` writes the fitted model's raw scores of the validation and test users
with what each protocol excludes and counts as relevant, and each post's training events: for
checks after the fit (e.g. `bench/cold_posts.py`: where the posts without training events rank).
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
from videorec.training.config import TrainConfig, load_training_config
from videorec.training.fit import fit
from videorec.training.observer import SilentObserver
from videorec.training.split import validation_set
from videorec.training.stages import validate

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
    parser.add_argument("--train-config", type=Path, default=None,
                        help="training TOML (default: the one videorec train uses)")  # fmt: skip
    parser.add_argument("--code-defaults", action="store_true",
                        help="start from the code defaults, not a training TOML")  # fmt: skip
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--text-cache", type=Path, default=None,
                        help="embeddings.npz of text vectors to read (and add to)")  # fmt: skip
    parser.add_argument("--save-scores", type=Path, default=None,
                        help="npz of validation and test scores (see above)")  # fmt: skip
    parser.add_argument("--serve-lengths", default="",
                        help="history lengths to rescore at, comma-separated (0: all)")  # fmt: skip
    args = parser.parse_args()
    overrides = json.loads(args.overrides)
    base = {} if args.code_defaults else load_training_config(args.train_config).model_dump()
    quick = merged(merged(base, QUICK), {"seed": args.seed})
    config = TrainConfig.model_validate(merged(quick, overrides))
    events, catalog = load_dataset(args.dataset, args.data)
    logs = split(implicit_positives(events, min_positive_rating(args.dataset)), args.protocol,
                 args.seed)  # fmt: skip
    catalog = as_of_cut(catalog, events, logs, args.protocol)  # counters as evaluate has them
    m = to_matrices(logs, catalog)
    started = time.perf_counter()
    source = TwoTowerSource(logs.train, logs.valid, catalog, m.user_ids, m.item_ids,
                            seed=args.seed, config=config)  # fmt: skip
    cache = EmbeddingCache(args.text_cache) if args.text_cache else None
    # the cache itself, not its bound `encode`: then cached texts are not tokenized again
    source.model = fit(logs.train, catalog, config, validation=logs.valid, observer=EpochPrinter(),
                       text_encoder=cache)  # fmt: skip
    if cache is not None:
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
    model = source.model
    # the users the fit validated on, built once for the scores and the serve lengths
    valid_set = validation_set(logs.train, logs.valid, model.post_ids, model.pipeline.signals,
                               max_users=config.split.max_validation_users,
                               seed=config.seed)  # fmt: skip
    if args.save_scores:
        save_scores(args.save_scores, source, logs, m, valid_set)
    if args.serve_lengths:
        longest = int(np.unique(logs.train.user_ids, return_counts=True)[1].max())
        for length in (int(x) for x in args.serve_lengths.split(",")):
            model.pipeline.history_length = length or longest
            v = validate(model, valid_set)
            t = measure(source, m.test, (m.train + m.valid).tocsr(), m.train).values
            print(f"serve length {length}: valid ndcg@10 {v['ndcg@10']:.4f}, cold_ndcg@10 "
                  f"{v.get('cold_ndcg@10', 0.0):.4f}, test ndcg@10 {t['ndcg@10']:.4f}, "
                  f"test recall@10 {t['recall@10']:.4f}", flush=True)  # fmt: skip


def save_scores(path: Path, source: TwoTowerSource, logs: Any, m: Any, valid: Any) -> None:
    """Validation users (`valid`, as the fit validates) and test users (as `videorec evaluate`
    ranks): raw scores over the matrix columns, excluded and relevant masks; training events per
    column."""
    column = {int(p): j for j, p in enumerate(m.item_ids)}
    n = len(valid.user_ids)
    valid_seen = np.zeros((n, len(m.item_ids)), bool)
    valid_truth = np.zeros((n, len(m.item_ids)), bool)
    for i, (history, wanted) in enumerate(zip(valid.histories, valid.targets, strict=True)):
        valid_seen[i, [column[p] for p in history.post_ids.tolist() if p in column]] = True
        valid_truth[i, [column[p] for p in wanted if p in column]] = True
    valid_scores = source.score_histories([int(u) for u in valid.user_ids], valid.histories)
    users = np.flatnonzero(np.diff(m.test.tocsr().indptr) > 0)
    np.savez_compressed(
        path, valid_scores=valid_scores, valid_seen=valid_seen, valid_truth=valid_truth,
        test_scores=source.scores(users), test_seen=(m.train + m.valid)[users].toarray() > 0,
        test_truth=m.test.tocsr()[users].toarray() > 0,
        train_events=np.asarray((m.train > 0).sum(axis=0)).ravel(),
    )  # fmt: skip


if __name__ == "__main__":
    main()
