"""`videorec evaluate`: compare our pipeline with tuned baselines on one data set and protocol."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from videorec.evaluation.datasets import load_dataset
from videorec.evaluation.offline import MODELS, Report, evaluate
from videorec.evaluation.report import TABLE_METRICS, write_all

console = Console()


def evaluate_command(
    dataset: str = typer.Option("demo", help="demo | samples | movielens-100k"),
    protocol: str = typer.Option("temporal", help="temporal | random-811"),
    models: str = typer.Option(",".join(MODELS), help="comma-separated models to compare"),
    runs: int = typer.Option(3, min=1, max=20, help="seeded runs (mean ± std)"),
    seed: int = typer.Option(0, help="seed of the first run"),
    data: Path | None = typer.Option(None, help="data directory (required for demo)"),
    out: Path = typer.Option(Path("reports"), help="directory for the JSON, Markdown and PNG"),
) -> None:
    """Train every model on the same split and report Recall, NDCG, HR, MRR, coverage, novelty."""
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
        )
    console.print(_table(report))
    for path in write_all(report, out):
        console.print(f"wrote {path}")


def _table(report: Report) -> Table:
    summary = report.summary()
    table = Table(title=f"{report.dataset} · {report.protocol} · {len(report.seeds)} runs")
    table.add_column("model")
    for metric in TABLE_METRICS:
        table.add_column(metric, justify="right")
    for model, values in summary.items():
        cells = [f"{values[m][0]:.4f}±{values[m][1]:.3f}" for m in TABLE_METRICS if m in values]
        table.add_row(model, *cells)
    return table


def register(app: typer.Typer) -> None:
    """Add `evaluate` to the root command."""
    app.command("evaluate")(evaluate_command)
