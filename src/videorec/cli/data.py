"""`videorec generate` (demo data with a known truth) and `videorec import movielens`."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from videorec.datagen import DEMO_CONFIG, GeneratorConfig, generate, load_truth
from videorec.datagen.movielens import read_movielens
from videorec.datagen.movielens_import import DEFAULT_PATH, import_movielens
from videorec.kit.db import make_engine, make_sessionmaker
from videorec.settings import get_settings
from videorec.storage import migrate

console = Console()
import_app = typer.Typer(help="Import public data sets for evaluation.", no_args_is_help=True)


def generate_command(
    users: int = typer.Option(DEMO_CONFIG.users, min=10, help="users to create"),
    posts: int = typer.Option(DEMO_CONFIG.posts, min=30, help="posts to create"),
    interactions: int = typer.Option(
        DEMO_CONFIG.interactions, min=20, help="rows over the four interaction logs together"
    ),
    seed: int = typer.Option(DEMO_CONFIG.seed, help="random seed: same arguments, same bytes"),
    out: Path | None = typer.Option(
        None, help="folder for the six files and truth/ (default: <VIDEOREC_VAR_DIR>/demo)"
    ),
) -> None:
    """Generate Socialverse-shaped demo data with a hidden ground truth (replay-server layout)."""
    config = GeneratorConfig(users=users, posts=posts, interactions=interactions, seed=seed)
    out = out or get_settings().var_dir / "demo"
    started = time.perf_counter()
    with console.status(f"generating {interactions:,} interactions"):
        paths = generate(config, out)
    table = Table("file", "bytes")
    for path in paths.served.values():
        table.add_row(str(path), f"{path.stat().st_size:,}")
    table.add_row(f"{paths.truth}/ (hidden truth)", "")
    console.print(table)
    params = load_truth(out).params  # proves the truth reads back
    console.print(
        f"[bold green]generated[/] {users:,} users, {posts:,} posts over "
        f"{len(params.topic_names)} topics x {len(params.mood_names)} moods "
        f"in {time.perf_counter() - started:.1f}s"
    )


@import_app.command("movielens")
def import_movielens_command(
    path: Path = typer.Option(DEFAULT_PATH, help="MovieLens-100k folder (never copied)"),
) -> None:
    """Import MovieLens-100k into the database (idempotent: a re-import adds nothing)."""
    data = read_movielens(path)
    settings = get_settings()
    settings.ensure_dirs()
    engine = make_engine(settings.database_url)
    migrate.upgrade(engine)
    with console.status("importing MovieLens-100k"), make_sessionmaker(engine)() as session:
        counts = import_movielens(session, data)
        session.commit()
    engine.dispose()
    table = Table("rows", "inserted")
    for name, value in vars(counts).items():
        table.add_row(name, f"{value:,}")
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("generate")(generate_command)
    app.add_typer(import_app, name="import")
