"""`videorec evaluate`: the served feed and the tuned baselines on one data set and protocol."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from videorec.errors import InvalidInput
from videorec.evaluation.datasets import load_dataset
from videorec.evaluation.offline import MODELS, Report, evaluate
from videorec.evaluation.report import TABLE_METRICS, write_all
from videorec.features.log import InteractionLog, PostCatalog
from videorec.features.text import EmbeddingCache
from videorec.kit.db import existing_engine, make_sessionmaker
from videorec.logging import configure_logging
from videorec.serving.config import load_feed_config
from videorec.settings import Settings, get_settings
from videorec.storage.repositories import logs
from videorec.training.config import load_training_config

console = Console()
SUMMARY = ("ndcg@10", "recall@10", "ndcg@50", "recall@50", "coverage@10", "pool-recall@300")


def evaluate_command(
    dataset: str = typer.Option("demo", help="demo | samples | movielens-100k | db"),
    protocol: str = typer.Option("temporal", help="temporal | random-811 (db: temporal only)"),
    models: str = typer.Option(
        ",".join(MODELS),
        help="comma-separated models; served = what /feed serves; add two-tower and/or sasrec "
        "to train the models stage's DNNs (the served feed then uses the trained model)",
    ),
    runs: int = typer.Option(3, min=1, max=20, help="seeded runs (mean ± std)"),
    seed: int = typer.Option(0, help="seed of the first run"),
    data: Path | None = typer.Option(None, help="data directory (required for demo)"),
    slices: bool = typer.Option(True, help="cold-start slices of the served feed"),
    out: Path = typer.Option(Path("reports"), help="directory for the JSON, Markdown and PNG"),
    train_config: Path | None = typer.Option(
        None,
        help="training TOML of the two-tower and sasrec rows (default: the one `videorec "
        "train` uses, configs/train/default.toml when present)",
    ),
) -> None:
    """Train every model on the same split and report Recall, NDCG, HR, MRR, coverage, novelty.

    `--dataset db` evaluates the configured database's stored interactions (temporal protocol).
    """
    settings = get_settings()
    configure_logging(settings.log_level, json=settings.log_json)
    events, catalog = _load(dataset, data, protocol, settings)
    chosen = tuple(m.strip() for m in models.split(",") if m.strip())
    cache = EmbeddingCache(settings.embedding_cache)
    with console.status("evaluating") as status:
        report = evaluate(
            events,
            catalog,
            dataset=dataset,
            protocol=protocol,
            models=chosen,
            runs=runs,
            seed=seed,
            progress=lambda msg: status.update(msg),
            truth_dir=data if dataset == "demo" else None,
            encoder=cache,  # the cache itself: the fits then tokenize only the texts it lacks
            feed_config=load_feed_config(settings.feed_config),
            slices=slices,
            train_config=load_training_config(train_config).model_dump(),
        )
    cache.save()
    console.print(_table(report))
    for path in write_all(report, out):
        console.print(f"wrote {path}")


def _load(
    dataset: str, data: Path | None, protocol: str, settings: Settings
) -> tuple[InteractionLog, PostCatalog]:
    if dataset != "db":
        return load_dataset(dataset, data)
    if data is not None:
        raise InvalidInput("--dataset db reads VIDEOREC_DATABASE_URL, not --data: drop --data")
    if protocol != "temporal":
        raise InvalidInput("--dataset db is evaluated under the temporal protocol only")
    with make_sessionmaker(existing_engine(settings.database_url))() as session:
        events, catalog = logs.load_interactions(session), logs.load_catalog(session)
    if len(events) == 0:
        raise InvalidInput("the database has no interactions: run `videorec sync` first")
    return events, catalog


def _table(report: Report) -> Table:
    """Models as rows and the main metrics as columns (the files hold every metric)."""
    summary = report.summary()
    table = Table(title=f"{report.dataset} · {report.protocol} · mean ± std of {len(report.seeds)}")
    table.add_column("model")
    metrics = [m for m in (*SUMMARY, "ndcg@10/oracle") if m in TABLE_METRICS or m in SUMMARY]
    for metric in metrics:
        table.add_column(metric, justify="right")
    for model, values in summary.items():
        table.add_row(model, *[_cell(values.get(metric)) for metric in metrics])
    return table


def _cell(value: tuple[float, float] | None) -> str:
    return "-" if value is None else f"{value[0]:.3f}±{value[1]:.3f}"


def register(app: typer.Typer) -> None:
    """Add `evaluate` to the root command."""
    app.command("evaluate")(evaluate_command)
