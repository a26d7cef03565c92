"""Rich views of training: a progress bar per stage, the validation tables and the verdict.

Used by `videorec train` and by `videorec up` when it trains the first model.
"""

from __future__ import annotations

import math
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import Engine

from videorec.settings import Settings
from videorec.training.config import TrainConfig
from videorec.training.service import TrainResult, count_interactions, train_and_register

METRICS = ("ndcg@10", "recall@10", "recall@50", "hr@10", "ndcg@50")
STAGE_LABELS = {"text": "post texts", "two_tower": "retrieval",
                "short_history": "short histories", "ranker": "ranker"}  # fmt: skip
"""Progress bar labels of the training stages (`text`: the first-time text encoding)."""


def stage_label(stage: str) -> str:
    """A stage's progress label; "two_tower 2/2" (a member of a pair) -> "retrieval 2/2"."""
    name, _, member = stage.partition(" ")
    label = STAGE_LABELS.get(name, name)
    return f"{label} {member}" if member else label


class RichObserver:
    """Draws one progress bar per training stage with the running loss and validation NDCG."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, Any] = {}
        self.losses: dict[str, float] = {}

    def on_stage(self, stage: str, steps_per_epoch: int, epochs: int) -> None:
        self.tasks[stage] = self.progress.add_task(
            stage_label(stage), total=steps_per_epoch * epochs, loss=float("nan"),
            ndcg="-", epoch=0,
        )  # fmt: skip

    def on_step(self, stage: str, loss: float) -> None:
        if math.isnan(loss):  # a step without a loss (text encoding)
            self.progress.update(self.tasks[stage], advance=1)
            return
        previous = self.losses.get(stage, loss)
        self.losses[stage] = 0.95 * previous + 0.05 * loss
        self.progress.update(self.tasks[stage], advance=1, loss=self.losses[stage])

    def on_epoch(self, stage: str, epoch: int, loss: float, metrics: dict[str, float]) -> None:
        self.progress.update(self.tasks[stage], ndcg=f"{metrics['ndcg@10']:.4f}", epoch=epoch)
        shown = ", ".join(f"{name} {metrics[name]:.4f}" for name in METRICS if name in metrics)
        self.progress.console.log(f"{stage_label(stage)} epoch {epoch}: loss {loss:.4f}, {shown}")


def run_training(
    settings: Settings, engine: Engine, config: TrainConfig, console: Console, *,
    device: str = "cpu", force: bool = False,
) -> TrainResult:  # fmt: skip
    """Train with a progress bar on `console`, then print the validation table and the verdict."""
    console.print(f"training on {count_interactions(engine):,} interactions")
    with _progress(console) as progress:
        result = train_and_register(settings, engine, config, device=device, force=force,
                                    observer=RichObserver(progress))  # fmt: skip
    _print_metrics(console, result.metrics)
    _print_selection(console, result.metrics.get("selection", {}))
    verdict = (
        "activated" if result.activated else "registered, NOT activated (worse than popularity)"
    )
    console.print(f"model [bold]{result.version}[/] saved to {result.folder}: {verdict}")
    return result


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}[/]"), BarColumn(), MofNCompleteColumn(),
        TextColumn("epoch {task.fields[epoch]} loss {task.fields[loss]:.4f} "
                   "val ndcg@10 {task.fields[ndcg]}"),
        TimeElapsedColumn(), console=console,
    )  # fmt: skip


def _print_metrics(console: Console, metrics: dict[str, Any]) -> None:
    table = Table(title="validation (temporal hold-out)")
    table.add_column("metric")
    table.add_column("model", justify="right")
    table.add_column("popularity", justify="right")
    table.add_column("lift", justify="right")
    for name in METRICS:
        ours, base = metrics["model"].get(name, 0.0), metrics["popularity"].get(name, 0.0)
        lift = f"{(ours / base - 1) * 100:+.0f}%" if base > 0 else "-"
        table.add_row(name, f"{ours:.4f}", f"{base:.4f}", lift)
    console.print(table)


def _print_selection(console: Console, selection: dict[str, Any]) -> None:
    _print_short_history(console, selection.get("short_history"))
    if selection.get("ranker_ndcg@10") is None:
        return
    verdict = "kept" if selection["ranker_kept"] else "dropped (serving uses retrieval alone)"
    console.print(
        f"ranker: validation NDCG@10 {selection['ranker_ndcg@10']:.4f} vs retrieval alone "
        f"{selection['retrieval_ndcg@10']:.4f}: {verdict}"
    )


def _print_short_history(console: Console, short: dict[str, Any] | None) -> None:
    if short is None:
        return
    if "skipped" in short:
        console.print(f"short-history tower: skipped ({short['skipped']})")
        return
    slices = ", ".join(
        f"{key.removesuffix('_ndcg@10')} {value:.4f} vs {short['two_tower'].get(key, 0.0):.4f}"
        for key, value in short["short_tower"].items()
        if key != "cold_ndcg@10"
    )
    verdict = (
        f"kept for histories of 1-{short['max_events']} events"
        if short["kept"]
        else "dropped (every history uses the two-tower)"
    )
    console.print(f"short-history tower: validation NDCG@10 {slices} (two-tower): {verdict}")
