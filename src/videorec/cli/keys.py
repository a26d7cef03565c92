"""`videorec keys create|list|revoke`: API keys for the HTTP API."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

from videorec.api.security.keys import mint_key
from videorec.api.security.scopes import SCOPES, parse_scopes
from videorec.errors import InvalidInput
from videorec.kit.db import make_engine, make_sessionmaker
from videorec.settings import get_settings
from videorec.storage import migrate
from videorec.storage.repositories import api_keys

app = typer.Typer(help="API keys for the HTTP API (Authorization: Bearer <key>).",
                  no_args_is_help=True)  # fmt: skip
console = Console()
NAME_HELP = "a unique name for the client, e.g. mobile-app"
SCOPES_HELP = f"comma-separated: {', '.join(SCOPES)} (admin may do everything)"


def _sessions() -> sessionmaker[Session]:
    settings = get_settings()
    settings.ensure_dirs()
    engine = make_engine(settings.database_url)
    migrate.upgrade(engine)
    return make_sessionmaker(engine)


@app.command()
def create(
    name: str = typer.Option(..., "--name", help=NAME_HELP),
    scopes: str = typer.Option(..., "--scopes", help=SCOPES_HELP),
) -> None:
    """Create a key and print it once, as the last line: only its hash is stored."""
    if not 1 <= len(name) <= 64 or not name.isprintable():
        raise InvalidInput("--name must be 1-64 printable characters")
    try:
        granted = parse_scopes(scopes)
    except ValueError as exc:
        raise InvalidInput(f"--scopes: {exc}") from exc
    key = mint_key()
    with _sessions().begin() as session:
        api_keys.add(session, name=name, prefix=key.prefix, key_hash=key.key_hash, scopes=granted)
    console.print(f"created key [bold]{name}[/] with scopes {', '.join(granted)}; "
                  "it is shown only now:")  # fmt: skip
    typer.echo(key.secret)


@app.command("list")
def list_keys() -> None:
    """Every key: name, scopes, prefix, created, revoked (never the key itself)."""
    table = Table("name", "scopes", "prefix", "created", "revoked")
    with _sessions()() as session:
        for row in api_keys.list_all(session):
            revoked = f"{row.revoked_at:%Y-%m-%d %H:%M}" if row.revoked_at else ""
            table.add_row(row.name, ",".join(row.scopes), row.prefix,
                          f"{row.created_at:%Y-%m-%d %H:%M}", revoked)  # fmt: skip
    console.print(table)


@app.command()
def revoke(name: str = typer.Argument(..., help="the key's name from `keys list`")) -> None:
    """Revoke the key named NAME: servers refuse it within seconds (their cache lasts 5 s)."""
    with _sessions().begin() as session:
        api_keys.revoke(session, name)
    console.print(f"key [bold]{name}[/] revoked")
