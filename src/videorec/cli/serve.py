"""`videorec serve` (the server alone) and `videorec up` (a first run's set-up, then serve)."""

from __future__ import annotations

import os
from pathlib import Path

import typer
import uvicorn
from rich.console import Console

from videorec.api.metrics import MULTIPROC_ENV, use_multiprocess_dir
from videorec.kit.db import make_engine
from videorec.serving.config import load_feed_config
from videorec.settings import get_settings

console = Console()
# uvicorn kills a worker that leaves a health-check ping unanswered this long (its default is 5 s).
# Importing torch and building the feed state hold the GIL for longer than that on a busy box, so
# with --workers the workers were killed and restarted in a loop before ever serving.
WORKER_HEALTHCHECK_TIMEOUT_S = 120


def serve(
    host: str | None = typer.Option(None, help="bind address (default: VIDEOREC_HOST)"),
    port: int | None = typer.Option(None, min=1, max=65535, help="port (default: VIDEOREC_PORT)"),
    workers: int = typer.Option(1, min=1, max=64, help="server processes"),
) -> None:
    """Start the HTTP API (with `VIDEOREC_ENV=production`, only with your own cursor secret)."""
    settings = get_settings()
    settings.check_production()
    load_feed_config(settings.feed_config)  # a bad file stops here with its path, not in a worker
    if workers > 1:  # one set of Prometheus series for all workers (see api/metrics.py)
        shared = os.environ.get(MULTIPROC_ENV)
        use_multiprocess_dir(Path(shared) if shared else settings.var_dir / "prometheus")
    uvicorn.run(
        "videorec.main:app",
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        access_log=False,
        log_level="warning",
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_TIMEOUT_S,
    )


def up(
    host: str | None = typer.Option(None, help="bind address (default: VIDEOREC_HOST)"),
    port: int | None = typer.Option(None, min=1, max=65535, help="port (default: VIDEOREC_PORT)"),
) -> None:
    """Prepare what a first run needs (migrations, demo data, a model), then start the API."""
    from videorec.bootstrap import prepare

    settings = get_settings()
    settings.check_production()
    load_feed_config(settings.feed_config)  # before the minutes of set-up, not after them
    settings.ensure_dirs()
    engine = make_engine(settings.database_url)
    try:
        prepare(settings, engine, console)
    finally:
        engine.dispose()
    bound = f"http://{host or settings.host}:{port or settings.port}"
    console.print(f"[bold green]videorec[/] serving on {bound} (docs at {bound}/docs)")
    serve(host=host, port=port, workers=1)


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(up)
