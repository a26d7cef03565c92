"""`videorec train` and `videorec models list|activate`: train, register and pick models."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import Engine

from videorec.kit.db import make_engine, make_sessionmaker
from videorec.settings import Settings, get_settings
from videorec.storage.repositories import model_versions
from videorec.training.config import TrainConfig, load_config
from videorec.training.service import TrainResult, count_interactions, train_and_register

console = Console()
models_app = typer.Typer(help="Registered model versions.", no_args_is_help=True)
DEFAULT_CONFIG = Path("configs/train/default.toml")
METRICS = ("ndcg@10", "recall@10", "recall@50", "hr@10", "ndcg@50")
STAGE_LABELS = {"text": "post texts", "two_tower": "retrieval", "ranker": "ranker"}
"""Progress bar labels of the training stages (`text`: the first-time text encoding)."""


class RichObserver:
    """Draws one progress bar per training stage with the running loss and validation NDCG."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, Any] = {}
        self.losses: dict[str, float] = {}

    def on_stage(self, stage: str, steps_per_epoch: int, epochs: int) -> None:
        self.tasks[stage] = self.progress.add_task(
            STAGE_LABELS.get(stage, stage), total=steps_per_epoch * epochs, loss=float("nan"),
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
        console.log(f"{stage} epoch {epoch}: loss {loss:.4f}, " + ", ".join(
            f"{name} {metrics[name]:.4f}" for name in METRICS if name in metrics))  # fmt: skip


CONFIG_HELP = "training TOML (default: configs/train/default.toml when present)"
FORCE_HELP = "activate even if it does not beat popularity"


def train(
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    device: str = typer.Option("cpu", "--device", help="cpu or cuda"),
    force: bool = typer.Option(False, "--force", help=FORCE_HELP),
) -> None:
    """Train the two-tower retriever and the ranker on the stored interactions."""
    settings = get_settings()
    engine = make_engine(settings.database_url)
    try:
        run_training(settings, engine, load_training_config(config), device=device, force=force)
    finally:
        engine.dispose()


def load_training_config(path: Path | None) -> TrainConfig:
    """The config at `path`, else configs/train/default.toml when present, else the defaults."""
    return load_config(path or (DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None))


def run_training(
    settings: Settings, engine: Engine, config: TrainConfig, *, device: str = "cpu",
    force: bool = False,
) -> TrainResult:  # fmt: skip
    """Train with a progress bar, then print the validation table and the verdict."""
    console.print(f"training on {count_interactions(engine):,} interactions")
    with _progress() as progress:
        result = train_and_register(settings, engine, config, device=device, force=force,
                                    observer=RichObserver(progress))  # fmt: skip
    _print_metrics(result.metrics)
    _print_selection(result.metrics.get("selection", {}))
    verdict = (
        "activated" if result.activated else "registered, NOT activated (worse than popularity)"
    )
    console.print(f"model [bold]{result.version}[/] saved to {result.folder}: {verdict}")
    return result


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}[/]"), BarColumn(), MofNCompleteColumn(),
        TextColumn("epoch {task.fields[epoch]} loss {task.fields[loss]:.4f} "
                   "val ndcg@10 {task.fields[ndcg]}"),
        TimeElapsedColumn(), console=console,
    )  # fmt: skip


def _print_metrics(metrics: dict[str, Any]) -> None:
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


def _print_selection(selection: dict[str, Any]) -> None:
    if selection.get("ranker_ndcg@10") is None:
        return
    verdict = "kept" if selection["ranker_kept"] else "dropped (serving uses retrieval alone)"
    console.print(
        f"ranker: validation NDCG@10 {selection['ranker_ndcg@10']:.4f} vs retrieval alone "
        f"{selection['retrieval_ndcg@10']:.4f}: {verdict}"
    )


@models_app.command("list")
def list_models() -> None:
    """Registered model versions, newest first, with validation NDCG@10 (artifacts live in
    `<VIDEOREC_VAR_DIR>/models/<version>/`)."""
    sessions = make_sessionmaker(make_engine(get_settings().database_url))
    table = Table("active", "created", "ndcg@10", "popularity")
    table.add_column("version", no_wrap=True)
    with sessions() as session:
        for row in model_versions.list_all(session):
            model, base = row.metrics.get("model", {}), row.metrics.get("popularity", {})
            table.add_row(
                "yes" if row.is_active else "", f"{row.created_at:%Y-%m-%d %H:%M}",
                f"{model.get('ndcg@10', 0):.4f}", f"{base.get('ndcg@10', 0):.4f}", row.version,
            )  # fmt: skip
    console.print(table)


@models_app.command("activate")
def activate_model(version: str = typer.Argument(..., help="a version from `models list`")) -> None:
    """Make VERSION the model the feed serves."""
    sessions = make_sessionmaker(make_engine(get_settings().database_url))
    with sessions.begin() as session:
        model_versions.activate(session, version)
    console.print(f"model [bold]{version}[/] is now active")


def register(app: typer.Typer) -> None:
    """Add `train` and the `models` group to the main app."""
    app.command("train")(train)
    app.add_typer(models_app, name="models")
