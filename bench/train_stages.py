"""`videorec train` on an ingested database, per stage: wall and CPU seconds, and what it chose.

    nice -n 5 python bench/train_stages.py --db /tmp/demo.db --work /tmp/runs/a          # cold
    nice -n 5 python bench/train_stages.py --db /tmp/demo.db --work /tmp/runs/b \
        --embeddings /tmp/runs/a/embeddings.npz                                         # warm

`--no-bf16` encodes the texts as a CPU without native bfloat16 would (float32; ONNX Runtime
where the tree has it), to compare such a box's text stage on one that has bfloat16.

Each run copies `--db` (a database with the demo ingested, as `videorec up` leaves it) into
`--work`, which becomes the var dir, and runs what `videorec train` runs
(`training.service.train_and_register`, the shipped `configs/train/default.toml` unless
`--config`), timing each stage by wrapping its function: the text encoding, the rest of
feature preparation, the two-tower, the short-history tower, the ranker, the final validation,
the serving extras, saving and the ONNX export. `--embeddings` copies an embedding cache in
first (a warm run); without it the cache is cold. The last line is one JSON object with every
figure, for interleaved A/B runs (`--repeat` and `git stash` between them are up to you).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CLOCKS: dict[str, list[float]] = {}


@contextmanager
def clock(name: str) -> Iterator[None]:
    """Add the wall and process-CPU seconds of the block to `CLOCKS[name]`."""
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        yield
    finally:
        spent = CLOCKS.setdefault(name, [0.0, 0.0])
        spent[0] += time.perf_counter() - wall
        spent[1] += time.process_time() - cpu


def timed(module: Any, attribute: str, name: str) -> None:
    """Replace `module.attribute` by a version that records its time under `name`."""
    inner: Callable[..., Any] = getattr(module, attribute)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with clock(name):
            return inner(*args, **kwargs)

    setattr(module, attribute, wrapper)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="SQLite file with the demo ingested")
    parser.add_argument("--work", type=Path, required=True, help="fresh var dir for this run")
    parser.add_argument("--embeddings", type=Path, help="embedding cache to start from (warm)")
    parser.add_argument("--config", type=Path, default=Path("configs/train/default.toml"))
    parser.add_argument("--seed", type=int, help="override the config's seed")
    parser.add_argument("--no-bf16", action="store_true",
                        help="encode texts as on a CPU without native bfloat16")  # fmt: skip
    args = parser.parse_args()
    if args.work.exists():
        shutil.rmtree(args.work)
    args.work.mkdir(parents=True)
    shutil.copy(args.db, args.work / "videorec.db")
    if args.embeddings:
        shutil.copy(args.embeddings, args.work / "embeddings.npz")
    os.environ["VIDEOREC_VAR_DIR"] = str(args.work)
    os.environ["VIDEOREC_DATABASE_URL"] = f"sqlite:///{args.work / 'videorec.db'}"

    from videorec.kit.db import make_engine
    from videorec.settings import Settings
    from videorec.training import service, stages
    from videorec.training.config import load_training_config

    for module, attribute, name in (
        (stages, "_text", "text"), (stages, "prepare", "prepare (incl. text)"),
        (stages, "retrieval", "two_tower"), (stages, "short_history", "short_history"),
        (stages, "ranker", "ranker"), (stages, "assemble", "assemble + final validation"),
        (service, "fit_serving_extras", "serving_extras"), (service, "save_artifact", "save"),
        (service, "_export_onnx", "onnx_export"),
    ):  # fmt: skip
        timed(module, attribute, name)
    if args.no_bf16:
        from videorec.features import text

        text.native_bf16 = lambda: False  # type: ignore[assignment,method-assign]
    config = load_training_config(args.config)
    if args.seed is not None:
        config.seed = args.seed
    settings = Settings()
    engine = make_engine(settings.database_url)
    with clock("total"):
        result = service.train_and_register(settings, engine, config)
    engine.dispose()
    metrics = result.metrics
    figures = {
        "seconds": {k: [round(w, 1), round(c, 1)] for k, (w, c) in CLOCKS.items()},
        "model": {k: round(v, 4) for k, v in metrics["model"].items() if "ndcg@10" in k},
        "popularity": {k: round(v, 4) for k, v in metrics["popularity"].items() if "ndcg@10" in k},
        "two_tower_epochs": len(metrics["two_tower_epochs"]),
        "short_history_epochs": len(metrics["short_history_epochs"]),
        "ranker_epochs": len(metrics["ranker_epochs"]),
        "selection": metrics["selection"],
        "serving": {k: v for k, v in metrics.get("serving", {}).items() if k != "weights"},
        "serving_weights": metrics.get("serving", {}).get("weights"),
        "load": os.getloadavg(),
        "no_bf16": args.no_bf16,
        "seed": config.seed,
    }
    for name, (wall, cpu) in CLOCKS.items():
        print(f"{name:>30}: {wall:7.1f} s wall, {cpu:7.1f} s cpu")
    print(json.dumps(figures, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
