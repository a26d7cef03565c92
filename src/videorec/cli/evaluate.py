"""`videorec evaluate`: compare our pipeline with tuned baselines on one data set and protocol."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from videorec.evaluation.datasets import load_dataset
from videorec.evaluation.offline import MODELS, Report, evaluate
from videorec.evaluation.report import TABLE_METRICS, write_all
from videorec.logging import configure_logging
from videorec.settings import get_settings

console = Console()


def evaluate_command(
    dataset: str = typer.Option("demo", help="demo | samples | movielens-100k"),
    protocol: str = typer.Option("temporal", help="temporal | random-811"),
    models: str = typer.Option(
        ",".join(MODELS),
        help="comma-separated models; add two-tower and/or sasrec to train the models stage's DNNs",
    ),
    runs: int = typer.Option(3, min=1, max=20, help="seeded runs (mean ± std)"),
    seed: int = typer.Option(0, help="seed of the first run"),
    data: Path | None = typer.Option(None, help="data directory (required for demo)"),
    out: Path = typer.Option(Path("reports"), help="directory for the JSON, Markdown and PNG"),
) -> None:
    """Train every model on the same split and report Recall, NDCG, HR, MRR, coverage, novelty."""
    settings = get_settings()
    configure_logging(settings.log_level, json=settings.log_json)
    events, catalog = load_dataset(dataset, data)
    chosen = tuple(m.strip() for m in models.split(",") if m.strip())
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
        )
    console.print(_table(report))
    for path in write_all(report, out):
        console.print(f"wrote {path}")


def _table(report: Report) -> Table:
    """Metrics as rows and models as columns, so five models fit an 80-column terminal."""
    summary = report.summary()
    table = Table(title=f"{report.dataset} · {report.protocol} · mean ± std of {len(report.seeds)}")
    table.add_column("metric")
    for model in summary:
        table.add_column(model, justify="right")
    for metric in TABLE_METRICS:
        cells = [_cell(values.get(metric)) for values in summary.values()]
        table.add_row(metric, *cells)
    return table


def _cell(value: tuple[float, float] | None) -> str:
    return "-" if value is None else f"{value[0]:.3f}±{value[1]:.3f}"


def register(app: typer.Typer) -> None:
    """Add `evaluate` to the root command."""
    app.command("evaluate")(evaluate_command)
