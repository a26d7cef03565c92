"""`videorec db upgrade|downgrade|current`: schema migrations."""

from __future__ import annotations

import typer
from rich.console import Console

from videorec.kit.db import existing_engine, make_engine
from videorec.settings import get_settings
from videorec.storage import migrate

app = typer.Typer(help="Database schema migrations (Alembic).", no_args_is_help=True)
console = Console()


@app.command()
def upgrade(revision: str = typer.Argument("head", help="target revision")) -> None:
    """Migrate the database up to REVISION (default: the newest)."""
    settings = get_settings()
    settings.ensure_dirs()
    engine = make_engine(settings.database_url)
    migrate.upgrade(engine, revision)
    console.print(f"database at revision [bold]{migrate.current(engine)}[/]")


@app.command()
def downgrade(revision: str = typer.Argument(..., help="target revision, or 'base'")) -> None:
    """Migrate the database down to REVISION ('base' removes every table)."""
    engine = make_engine(get_settings().database_url)
    migrate.downgrade(engine, revision)
    console.print(f"database at revision [bold]{migrate.current(engine)}[/]")


@app.command()
def current() -> None:
    """Print the revision the database is at."""
    engine = existing_engine(get_settings().database_url)
    console.print(migrate.current(engine) or "empty (no migrations applied)")
