"""The `videorec` command line. One module per command group; `main()` maps errors to exit codes."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from videorec.cli import data, db, evaluate, export, ingest, keys, serve, train
from videorec.errors import VideorecError

app = typer.Typer(
    name="videorec",
    help="Self-hostable recommendations for short-video apps.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(db.app, name="db")
app.add_typer(keys.app, name="keys")
serve.register(app)
ingest.register(app)
data.register(app)
train.register(app)
export.register(train.models_app)
evaluate.register(app)

err_console = Console(stderr=True)


def main() -> None:
    """Console-script entry point: a domain error becomes a readable message and exit code 1."""
    try:
        app(standalone_mode=True)
    except VideorecError as exc:
        err_console.print(f"[bold red]error:[/] {exc.message}")
        sys.exit(1)
