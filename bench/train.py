"""Training throughput: examples/s and time per epoch of both models, at 200k and 10M events.

    nice -n 10 python bench/train.py     # CPU: 200k (full epoch) and 10M (measured fraction)
    python bench/train.py --device cuda --sizes 200000 10000000
    python bench/train.py --threads 1 --steps 100
    python bench/train.py --sizes 10000000 --config configs/train/default.toml   # the demo's config
    python bench/train.py --sizes 10000000 --two-tower '{"sampled_holdout": false}'  # `set` there

Data: the seeded synthetic log of `videorec.training.synthetic` (planted tastes, Zipf popularity;
text embeddings off, as their cost is a one-off cached encoding, not per epoch). Each size trains
with the code defaults' batch sizes, widths and history length (`--config`: a training TOML's).
An epoch is measured in full when it has at most `--full-steps` steps, else `--steps` steps are
timed and the epoch is extrapolated (the output says which). Validation is excluded: it is timed
separately by `videorec train`.
An extrapolated epoch is its once-per-epoch work (from the recipe's `on_stage` to the end of the
first step: the epoch's shuffle and batching, plus that step) plus the remaining steps at the
mean time of the timed steps after the first; the throughput is that of those steps. The
recipe's one-off setup before them (example selection, logQ, optimiser) is printed beside it.
The `two-tower` row is one two-tower's epoch. The `two-tower pair` row is the shipped retrieval's
epoch: `two_tower.members` two-towers (2 by default) trained as `videorec train` trains them, side
by side in forked children when `training.members.processes_for` says so (one core and one torch
thread each), else one after the other; each member's steps are timed in its own process and the
pair's epoch is the slowest member's. `--models two-tower` runs both rows.
Each timed run is one epoch: `two_tower.min_steps` (which raises the cap of small epochs) is set
to 0 here (since 2026-11-28 (k)). The last line is the peak RSS of this process and of its
largest child.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from dataclasses import dataclass
from pathlib import Path
from resource import RUSAGE_CHILDREN, RUSAGE_SELF, getrusage
from typing import Any

import numpy as np
import torch

from videorec.features.pipeline import FeaturePipeline
from videorec.models import builders
from videorec.training import forked
from videorec.training.config import TrainConfig, load_config
from videorec.training.data import EventArrays, holdout_split, pair_labels
from videorec.training.members import processes_for
from videorec.training.observer import SilentObserver
from videorec.training.recipes.ranker import train_ranker
from videorec.training.recipes.two_tower import full_softmax, train_two_tower
from videorec.training.stages import model_sizes, ranker_args, table_tensors, tower_args
from videorec.training.synthetic import synthetic_data

NO_VALIDATION = {"ndcg@10": 0.0}
ONE_EPOCH = {"epochs": 1, "min_steps": 0}
"""One epoch of the two-tower, whatever its `min_steps` would raise the cap to."""


class StepClock(SilentObserver):
    """Wall and CPU clocks at the start of the steps and after each step."""

    def __init__(self) -> None:
        self.start = (time.perf_counter(), time.process_time())
        self.steps: list[tuple[float, float]] = []

    def on_stage(self, stage: str, steps_per_epoch: int, epochs: int) -> None:
        self.start = (time.perf_counter(), time.process_time())

    def on_step(self, stage: str, loss: float) -> None:
        self.steps.append((time.perf_counter(), time.process_time()))

    def first(self) -> tuple[float, float]:
        """Wall and CPU seconds from the start to the end of the first step (the epoch's
        once-per-epoch work, its shuffle and batching, plus one step)."""
        return self.steps[0][0] - self.start[0], self.steps[0][1] - self.start[1]

    def epoch(self, steps: int) -> tuple[float, float]:
        """Wall and CPU seconds of an epoch of `steps` steps: the first, then the rest at the
        mean of the timed ones after it."""
        (first_wall, first_cpu), (step_wall, step_cpu) = self.first(), self.per_step()
        return first_wall + (steps - 1) * step_wall, first_cpu + (steps - 1) * step_cpu

    def per_step(self) -> tuple[float, float]:
        """Mean wall and CPU seconds of the steps after the first."""
        (w0, c0), (w1, c1), n = self.steps[0], self.steps[-1], len(self.steps) - 1
        return (w1 - w0) / max(n, 1), (c1 - c0) / max(n, 1)


def shape_for(size: int) -> dict[str, int]:
    """Users and posts grow with the log (the demo's 2k users / 5k posts at 200k)."""
    scale = max(1, size // 200_000)
    return {"users": 2_000 * scale, "posts": min(5_000 * scale, 100_000)}


def bench(size: int, args: argparse.Namespace) -> list[str]:
    config = load_config(args.config) if args.config else TrainConfig()
    config.two_tower = config.two_tower.model_copy(update=json.loads(args.two_tower))
    config.features.use_text = False
    device = torch.device(args.device)
    started = time.perf_counter()
    log, catalog = synthetic_data(interactions=size, seed=1, **shape_for(size))
    pipeline = FeaturePipeline.fit(log, catalog, signals=config.features.signals(),
                                   history_length=config.features.history_length)  # fmt: skip
    table = pipeline.post_table(catalog, None)
    events = EventArrays.build(log, pipeline, table)
    prepared = time.perf_counter() - started
    tensors = {k: torch.from_numpy(v).to(device) for k, v in table_tensors(table).items()}
    sizes = model_sizes(pipeline)
    n_rows = int(table.id_rows.shape[0])
    tower_steps, epoch_line = two_tower_epoch(events, config, n_rows)
    pairs = min(pair_labels(events, 50.0, n_rows).positions.shape[0], config.ranker.max_pairs)
    ranker_steps = -(-pairs * (1 + config.ranker.negatives) // config.ranker.batch_size)
    lines = [f"| {size:,} | data + features | {prepared:.1f} s | | {epoch_line} |"]
    for stage, steps, batch in (
        ("two-tower", tower_steps, config.two_tower.batch_size),
        ("ranker", ranker_steps, config.ranker.batch_size),
    ):
        if stage not in args.models:
            continue
        timed = steps if steps <= args.full_steps else args.steps
        run = Run(stage, config, tensors, sizes, events, pipeline, device, timed, n_rows)
        t0 = time.perf_counter()
        clock = run.timed(0)
        setup = f"setup {clock.start[0] - t0:.1f} s"
        lines.append(row(size, stage, batch, steps, timed, clock, setup, epoch_line))
        if stage == "two-tower" and config.two_tower.members > 1:
            lines.append(pair_row(size, run, config, batch, steps, epoch_line))
    return lines


def row(
    size: int, stage: str, batch: int, steps: int, timed: int, clock: StepClock, tail: str,
    epoch_line: str,
) -> str:  # fmt: skip
    """One table row: the timed steps' throughput and the epoch they extrapolate to; `tail`
    ends its last cell."""
    (first_wall, first_cpu), (step_wall, step_cpu) = clock.first(), clock.per_step()
    epoch_wall, epoch_cpu = clock.epoch(steps)
    how = "full epoch" if timed == steps else f"{timed}/{steps} steps, extrapolated"
    unit = "users" if stage.startswith("two-tower") and "passes" in epoch_line else "ex"
    return (f"| {size:,} | {stage} | {batch / step_wall:,.0f} {unit}/s; {step_wall:.4f} s "
            f"wall, cpu {step_cpu:.4f} s per step | {epoch_wall:,.1f} s (cpu "
            f"{epoch_cpu:,.1f} s) | {how}; first step + epoch shuffle {first_wall:.1f} s"
            f" (cpu {first_cpu:.1f} s); {tail} |")  # fmt: skip


def pair_row(
    size: int, run: Run, config: TrainConfig, batch: int, steps: int, epoch_line: str
) -> str:
    """The shipped pair's epoch: its members timed as training runs them (side by side in
    forked children, or one after the other), the epoch being the slowest member's."""
    members = config.two_tower.members
    processes = processes_for(members, config.two_tower.member_processes, run.device)
    t0 = time.perf_counter()
    if processes > 1:
        jobs = [(run.job(k), f"bench member {k}") for k in range(members)]
        clocks: list[StepClock] = []
        for first in range(0, members, processes):
            started = forked.start_all(jobs[first : first + processes])
            clocks += forked.gather(started, SilentObserver())
    else:
        clocks = [run.timed(k) for k in range(members)]
    wall = time.perf_counter() - t0
    slowest = max(clocks, key=lambda clock: clock.epoch(steps)[0])
    return row(size, f"two-tower pair ({members} members, {processes} at once)", batch, steps,
               run.timed_steps, slowest, f"the members' runs {wall:.1f} s wall, end to end",
               epoch_line)  # fmt: skip


def two_tower_epoch(events: EventArrays, config: TrainConfig, n_rows: int) -> tuple[int, str]:
    """Steps of one two-tower epoch, as `train_two_tower` counts them, and what an epoch is.

    `set` / `sequence`: one example per positive (user, post) pair. `holdout` (full softmax,
    or `sampled_holdout` above `full_softmax_up_to`): 1 / `holdout_share` passes over the users,
    so each positive pair should be a target about once per epoch: one pass of
    `holdout_split` over every user is drawn here and its targets counted, times the passes."""
    t = config.two_tower
    positions = events.first_of_pairs()
    pairs = int((events.weights[positions] > 0).sum())
    if t.history != "holdout" or not (full_softmax(n_rows, t) or t.sampled_holdout):
        style = "set" if t.history == "holdout" else t.history
        return -(-pairs // t.batch_size), f"epoch: {pairs:,} `{style}` examples, one per pair"
    users = np.unique(events.starts)
    passes = max(1, round(1 / t.holdout_share))
    steps = passes * -(-users.shape[0] // t.batch_size)
    split = holdout_split(events, users, 1, t.holdout_share, np.random.default_rng(0), n_rows)
    targets = passes * split.target_rows.shape[0]
    loss = "full" if full_softmax(n_rows, t) else "sampled"
    return steps, (
        f"epoch: {passes} passes over {users.shape[0]:,} users ({loss} softmax), "
        f"{targets:,} targets for {pairs:,} positive pairs ({targets / pairs:.2f} per pair)"
    )


@dataclass
class Run:
    """One stage's timed steps on the prepared data, in this process or in a forked child."""

    stage: str
    config: TrainConfig
    tensors: dict[str, torch.Tensor]
    sizes: dict[str, Any]
    events: EventArrays
    pipeline: FeaturePipeline
    device: torch.device
    timed_steps: int
    n_rows: int

    def timed(self, seed: int) -> StepClock:
        """The stage's first `timed_steps` steps of an epoch (all of one when fewer), without
        validation, from `seed`: their clock."""
        torch.manual_seed(seed)
        clock = StepClock()
        self.train(clock, seed)
        if self.device.type == "cuda":
            torch.cuda.synchronize()
        return clock

    def job(self, seed: int) -> forked.Job[StepClock]:
        """`timed(seed)` as a forked child's job (its own process's clock, sent back)."""
        return lambda _observer: self.timed(seed)

    def train(self, clock: StepClock, seed: int) -> None:
        config, steps, args = self.config, self.timed_steps, tower_args(self.config)
        if self.stage == "two-tower":
            tower = builders.two_tower(self.tensors, **self.sizes, **args, sparse=True)
            train_two_tower(
                tower.to(self.device), self.events, self.pipeline,
                config.two_tower.model_copy(update=ONE_EPOCH), n_rows=self.n_rows,
                validate=lambda _: NO_VALIDATION, observer=clock, seed=seed, device=self.device,
                max_steps=steps,
            )  # fmt: skip
            return
        retrieval = builders.two_tower(self.tensors, **self.sizes, **args)
        ranker = builders.ranker(self.tensors, **self.sizes, **ranker_args(config), sparse=True)
        train_ranker(
            ranker.to(self.device), retrieval.to(self.device), self.events, self.pipeline,
            config.ranker.model_copy(update={"epochs": 1}), history=config.two_tower.history,
            n_rows=self.n_rows, validate=lambda _: NO_VALIDATION, observer=clock, seed=seed,
            device=self.device, max_steps=steps,
        )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200_000, 10_000_000])
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (0: default)")
    parser.add_argument("--steps", type=int, default=60, help="steps timed on big epochs")
    parser.add_argument("--full-steps", type=int, default=400, help="time a full epoch up to this")
    parser.add_argument("--config", type=Path, default=None, help="training TOML (default: code)")
    parser.add_argument("--two-tower", default="{}", help="JSON merged over [two_tower]")
    parser.add_argument("--models", nargs="+", default=["two-tower", "ranker"],
                        choices=["two-tower", "ranker"])  # fmt: skip
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"machine: {platform.processor() or platform.machine()}, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, device {args.device}")  # fmt: skip
    print("| interactions | stage | throughput (steps after the first) "
          "| time per epoch, wall (cpu) | measured |")  # fmt: skip
    print("|---|---|---|---|---|")
    for size in args.sizes:
        for line in bench(size, args):
            print(line, flush=True)
    peak = [getrusage(who).ru_maxrss / 2**20 for who in (RUSAGE_SELF, RUSAGE_CHILDREN)]
    print(f"peak RSS: this process {peak[0]:.2f} GiB, its largest child {peak[1]:.2f} GiB")


if __name__ == "__main__":
    main()
