"""`videorec train` and `videorec models list|activate`: train, register and pick models."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from videorec.kit.db import existing_engine, make_engine, make_sessionmaker
from videorec.settings import get_settings
from videorec.storage.repositories import model_versions
from videorec.terminal.train_view import run_training
from videorec.training.config import load_training_config

console = Console()
models_app = typer.Typer(help="Registered model versions.", no_args_is_help=True)
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
        run_training(
            settings, engine, load_training_config(config), console, device=device, force=force
        )
    finally:
        engine.dispose()


@models_app.command("list")
def list_models() -> None:
    """Registered model versions, newest first, with validation NDCG@10 (artifacts live in
    `<VIDEOREC_VAR_DIR>/models/<version>/`)."""
    sessions = make_sessionmaker(existing_engine(get_settings().database_url))
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
    sessions = make_sessionmaker(existing_engine(get_settings().database_url))
    with sessions.begin() as session:
        model_versions.activate(session, version)
    console.print(f"model [bold]{version}[/] is now active")


def register(app: typer.Typer) -> None:
    """Add `train` and the `models` group to the main app."""
    app.command("train")(train)
    app.add_typer(models_app, name="models")
