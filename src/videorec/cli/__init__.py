"""The `videorec` command line. One module per command group; `main()` maps errors to exit codes."""

from __future__ import annotations

import re
import sys

import typer
from alembic.util import CommandError
from rich.console import Console
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

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

err_console = Console(stderr=True, soft_wrap=True)
"""Errors are not wrapped at the terminal's width: a path in one stays whole, to copy or grep."""


def main() -> None:
    """Console-script entry point: a domain error, a database that cannot be reached or read and a
    migration error each become one readable message and exit code 1 (not a traceback)."""
    try:
        app(standalone_mode=True)
    except VideorecError as exc:
        _fail(exc.message)
    except (ArgumentError, NoSuchModuleError) as exc:
        _fail(f"VIDEOREC_DATABASE_URL is not a database URL this install can open: {exc}")
    except DBAPIError as exc:
        _fail(database_message(exc))
    except CommandError as exc:
        _fail(f"migration: {exc}")


def database_message(exc: DBAPIError) -> str:
    """The driver's own first line, and what to do when the schema is missing or behind."""
    lines = str(exc.orig if exc.orig is not None else exc).strip().splitlines()
    detail = lines[0] if lines else type(exc).__name__
    missing = re.search(r"no such (table|column)|does not exist", detail, re.IGNORECASE)
    hint = " (the database schema is missing or behind: run `videorec db upgrade`)"
    return f"database error: {detail}{hint if missing else ''}"


def _fail(message: str) -> None:
    err_console.print(f"[bold red]error:[/] {message}", markup=True, highlight=False)
    sys.exit(1)
