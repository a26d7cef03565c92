"""The `videorec` command line. One module per command group; `main()` maps errors to exit codes."""

from __future__ import annotations

import re
import sys

import typer
from alembic.util import CommandError
from rich.console import Console
from rich.markup import escape
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

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
    """Console-script entry point: a domain error, a database that cannot be reached or has no
    schema yet, and a migration error each become one readable message and exit code 1 (not a
    traceback). Other database errors (a constraint, a bad statement) are bugs: they propagate."""
    try:
        app(standalone_mode=True)
    except VideorecError as exc:
        _fail(exc.message)
    except (OperationalError, ProgrammingError) as exc:
        message = database_message(exc)
        if message is None:
            raise
        _fail(message)
    except CommandError as exc:
        _fail(f"migration: {exc}")


MISSING_SCHEMA = re.compile(r'no such (table|column)|(relation|column) "[^"]*" does not exist')


def database_message(exc: DBAPIError) -> str | None:
    """One line for a database that cannot be reached (`OperationalError`: the driver's own
    first line) or whose schema is missing or behind (then: run `videorec db upgrade`); None
    for anything else, which is a bug to show whole."""
    lines = str(exc.orig if exc.orig is not None else exc).strip().splitlines()
    detail = lines[0] if lines else type(exc).__name__
    if MISSING_SCHEMA.search(detail):
        return (
            f"database error: {detail} (the schema is missing or behind: run `videorec db upgrade`)"
        )
    if isinstance(exc, OperationalError):
        return f"database error: {detail}"
    return None


def _fail(message: str) -> None:
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    sys.exit(1)
