"""`videorec sync`, `videorec stats` and `videorec replay-server`: the ingestion commands."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

from videorec.ingestion.client import DEFAULT_PAGE_SIZE, UpstreamClient, reveal
from videorec.ingestion.errors import UpstreamError
from videorec.ingestion.resources import BY_NAME, RESOURCES, Resource
from videorec.ingestion.retry import RetryPolicy
from videorec.ingestion.sync import ResourceReport, Syncer
from videorec.kit.db import existing_engine, make_engine, make_sessionmaker
from videorec.kit.priority import lower_priority
from videorec.logging import configure_logging
from videorec.settings import get_settings
from videorec.storage import migrate
from videorec.storage.repositories.ingest_stats import ingestion_stats
from videorec.terminal.sync_view import SyncProgress, render_stats, render_summary

console = Console()
err_console = Console(stderr=True)


def sync(
    only: str | None = typer.Option(
        None, help="comma-separated resources: users,posts,view,like,inspire,rating (default: all)"
    ),
    full: bool = typer.Option(False, "--full", help="restart every resource from page 1"),
    page_size: int = typer.Option(DEFAULT_PAGE_SIZE, min=1, max=100_000, help="items per page"),
    attempts: int = typer.Option(6, min=1, max=50, help="tries per request before giving up"),
) -> None:
    """Pull users, posts and the four interaction logs from the upstream API (resumable)."""
    settings = get_settings()
    configure_logging("WARNING", json=settings.log_json)
    lower_priority(settings.sync_nice)  # a server on this machine keeps the cores it needs
    resources = _parse_only(only)
    settings.ensure_dirs()
    engine = make_engine(settings.database_url)
    migrate.upgrade(engine)
    reports: list[ResourceReport] = []
    try:
        client = UpstreamClient.from_settings(settings, retry=RetryPolicy(attempts=attempts))
        with client, SyncProgress(console) as progress:
            syncer = Syncer(client, engine, page_size=page_size,
                            on_page=progress.advance)  # fmt: skip
            for resource in resources:
                client.check_credentials(resource)
            for resource in resources:
                progress.start(resource)
                reports.append(syncer.sync_resource(resource, full=full))
    except UpstreamError as exc:
        if reports:
            render_summary(console, reports)
        err_console.print(f"[bold red]sync stopped:[/] {exc.message}")
        err_console.print(
            "Fix the cause and run `videorec sync` again: it resumes where it stopped."
        )
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    render_summary(console, reports)


def stats(as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """Counts of users, posts, categories, interactions, orphans, quarantine; last syncs."""
    settings = get_settings()
    engine = existing_engine(settings.database_url)
    migrate.upgrade(engine)
    try:
        with make_sessionmaker(engine)() as session:
            figures = ingestion_stats(session)
    finally:
        engine.dispose()
    if as_json:
        console.print_json(json.dumps(figures))
    else:
        render_stats(console, figures)


def replay_server(
    data: Path = typer.Option(..., exists=True, file_okay=False, help="folder of JSON files"),
    host: str = typer.Option("127.0.0.1", help="bind address"),
    port: int = typer.Option(8001, min=1, max=65535, help="port"),
    latency_ms: float = typer.Option(0.0, min=0, help="added to every response"),
    fail_rate: float = typer.Option(0.0, min=0, max=1, help="share of requests answered 500"),
    rate_limit_rate: float = typer.Option(0.0, min=0, max=1, help="share answered 429"),
    drop_rate: float = typer.Option(0.0, min=0, max=1, help="share of connections dropped"),
    malformed_rate: float = typer.Option(0.0, min=0, max=1, help="share of items malformed"),
    retry_after: float = typer.Option(1.0, min=0, help="Retry-After seconds sent with a 429"),
    seed: int = typer.Option(0, help="seed of every injected fault"),
    flic_token: str | None = typer.Option(
        None,
        envvar="FLIC_TOKEN",
        show_default=False,
        help="Flic-Token to require (default: FLIC_TOKEN; any non-empty one when unset)",
    ),  # fmt: skip
    resonance_key: str | None = typer.Option(
        None,
        envvar="VIDEOREC_RESONANCE_KEY",
        show_default=False,
        help="resonance_algorithm key to require (default: VIDEOREC_RESONANCE_KEY; any when unset)",
    ),  # fmt: skip
) -> None:
    """Serve the six upstream endpoints from local JSON files, with optional faults."""
    from videorec.ingestion.replay.app import create_replay_app
    from videorec.ingestion.replay.data import load_folder
    from videorec.ingestion.replay.faults import FaultConfig
    from videorec.ingestion.replay.server import serve_forever

    settings = get_settings()
    replay = load_folder(data)
    faults = FaultConfig(
        latency_ms=latency_ms,
        fail_rate=fail_rate,
        rate_limit_rate=rate_limit_rate,
        drop_rate=drop_rate,
        malformed_rate=malformed_rate,
        retry_after=retry_after,
        seed=seed,
    )
    token = flic_token or reveal(settings.flic_token)
    key = resonance_key or reveal(settings.resonance_key)
    app = create_replay_app(replay, faults=faults, flic_token=token, resonance_key=key)
    counts = ", ".join(f"{r.name} {replay.count(r.name)}" for r in RESOURCES)
    console.print(f"[bold green]replay server[/] on http://{host}:{port} ({counts})")
    console.print(f"point the sync at it: VIDEOREC_API_BASE_URL=http://{host}:{port} videorec sync")
    serve_forever(app, host=host, port=port)


def _parse_only(only: str | None) -> list[Resource]:
    if not only:
        return list(RESOURCES)
    names = [name.strip() for name in only.split(",") if name.strip()]
    unknown = [name for name in names if name not in BY_NAME]
    if unknown:
        raise typer.BadParameter(
            f"unknown resource(s) {', '.join(unknown)}; choose from {', '.join(BY_NAME)}",
            param_hint="--only",
        )
    return [resource for resource in RESOURCES if resource.name in names]


def register(app: typer.Typer) -> None:
    """Add the ingestion commands to the `videorec` app."""
    app.command()(sync)
    app.command()(stats)
    app.command("replay-server")(replay_server)
