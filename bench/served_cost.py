"""Where the served evaluation's seconds go: one `videorec evaluate` run's served part, by stage.

One split of a data set (the evaluation's split and catalogue as of the cut), the neighbour lists'
models tuned as `videorec evaluate` tunes them (not timed), then the served part timed by stage
with `BLAS_THREADS` threads (default: 2, as before, then 1, as now; ratios within one process):
embedding (post texts and moods; 0 on a warm cache), the validation pools
(`validation_examples`), weight learning (`learn_weights`), the test users' feeds and the cold
slices. Set `VIDEOREC_VAR_DIR` to use an embedding cache; it is saved after the first pass.

    PYTHONPATH=src python bench/served_cost.py --data var/demo [--threads 2,1]
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import videorec.evaluation.served as served
from videorec.evaluation.datasets import implicit_positives, load_dataset, min_positive_rating
from videorec.evaluation.matrix import to_matrices
from videorec.evaluation.offline import as_of_cut
from videorec.evaluation.splits import split
from videorec.evaluation.tuning import tune
from videorec.features.text import EmbeddingCache
from videorec.serving.config import load_feed_config
from videorec.settings import get_settings

TIMED = ("validation_examples", "learn_weights")
"""Functions of `evaluation.served` (and of the cold weights' learning) timed by name."""


def timed(name: str, fn: Callable[..., Any], seconds: dict[str, float]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - started

    return wrapper


def one_pass(setup: dict[str, Any], threads: int) -> dict[str, float]:
    """The served part once, with `threads` BLAS threads while serving."""
    import videorec.training.serving_extras as extras

    seconds: dict[str, float] = {}
    originals = {n: getattr(served, n) for n in TIMED} | {"_cold": extras.validation_examples}
    for name in TIMED:
        setattr(served, name, timed(name, originals[name], seconds))
    extras.validation_examples = timed("validation_examples", originals["_cold"], seconds)
    extras.learn_weights = timed("learn_weights", originals["learn_weights"], seconds)
    served.BLAS_THREADS = threads
    cpu, started = time.process_time(), time.perf_counter()
    try:
        run = served.ServedEvaluation(
            setup["logs"], setup["m"], setup["catalog"], setup["tuned"], setup["encoder"],
            setup["config"], seed=0,
        )  # fmt: skip
        seconds["weights (init)"] = time.perf_counter() - started
        mark = time.perf_counter()
        rows = served.served_rows(run, np.flatnonzero(np.diff(setup["m"].test.indptr) > 0))
        seconds["test users' feeds"] = time.perf_counter() - mark
        mark = time.perf_counter()
        rows |= served.cold_slices(run, setup["tuned"], setup["catalog"])
        seconds["cold slices"] = time.perf_counter() - mark
    finally:
        for name in TIMED:
            setattr(served, name, originals[name])
        extras.validation_examples = originals["_cold"]
        extras.learn_weights = originals["learn_weights"]
    seconds["embedding"] = run.encoder.seconds
    seconds["total"] = time.perf_counter() - started
    seconds["total CPU"] = time.process_time() - cpu
    seconds["served-ranked NDCG@10"] = rows[served.RANKED]["ndcg@10"]
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="demo")
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--protocol", default="temporal")
    parser.add_argument("--threads", default="2,1", help="BLAS threads while serving, per pass")
    args = parser.parse_args()
    events, catalog = load_dataset(args.dataset, args.data)
    logs = split(implicit_positives(events, min_positive_rating(args.dataset)), args.protocol, 0)
    known = as_of_cut(catalog, events, logs, args.protocol)
    m = to_matrices(logs, known)
    tuned = {n: tune(n, m.train, m.valid, seed=0) for n in ("popularity", *served.LIST_MODELS)}
    cache = EmbeddingCache(get_settings().embedding_cache)
    setup = {"logs": logs, "m": m, "catalog": known, "tuned": tuned, "encoder": cache.encode,
             "config": load_feed_config(get_settings().feed_config)}  # fmt: skip
    passes = {}
    for threads in (int(t) for t in args.threads.split(",")):
        print(f"load before the {threads}-thread pass: {os.getloadavg()[0]:.2f}", flush=True)
        passes[threads] = one_pass(setup, threads)
        cache.save()
    print(f"\n{args.dataset} {args.protocol}, seed 0: seconds of the served part by stage")
    print("| stage | " + " | ".join(f"{t} BLAS thread(s)" for t in passes) + " |")
    print("|---|" + "---:|" * len(passes))
    for stage in next(iter(passes.values())):
        cells = " | ".join(f"{p[stage]:.4f}" if "NDCG" in stage else f"{p[stage]:.1f}"
                           for p in passes.values())  # fmt: skip
        print(f"| {stage} | {cells} |")


if __name__ == "__main__":
    main()
