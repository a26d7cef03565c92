"""What `videorec up` does before serving, each step only when it is needed.

1. Migrate the database (`alembic upgrade head`).
2. Demo data, when the database holds no posts: generate the default demo set under
   `<var_dir>/demo/` (kept, so a later start never regenerates it), serve it with the replay
   server on a free loopback port, and ingest it with `videorec sync`'s own code path.
3. Training, unless the newest model was trained on the interactions stored now.

A second start with nothing changed does no work beyond the migration check.
"""

from __future__ import annotations

from pathlib import Path

import structlog
from rich.console import Console
from sqlalchemy import Engine

from videorec.datagen import DEMO_CONFIG, GeneratorConfig, ensure_generated
from videorec.ingestion.client import UpstreamClient
from videorec.ingestion.replay.app import create_replay_app
from videorec.ingestion.replay.data import load_folder
from videorec.ingestion.replay.server import ReplayServer
from videorec.ingestion.resources import RESOURCES
from videorec.ingestion.sync import Syncer
from videorec.kit.db import make_sessionmaker
from videorec.settings import Settings
from videorec.storage import migrate
from videorec.storage.repositories import posts
from videorec.terminal.sync_view import SyncProgress, render_summary
from videorec.terminal.train_view import run_training
from videorec.training.config import TrainConfig, load_training_config
from videorec.training.service import count_interactions, newest_is_current

log = structlog.get_logger(__name__)

# The demo's replay server is local and private to this process: fixed credentials are fine.
DEMO_TOKEN = "demo-flic-token"
DEMO_KEY = "demo-resonance-key"


def prepare(
    settings: Settings,
    engine: Engine,
    console: Console,
    demo: GeneratorConfig = DEMO_CONFIG,
    training: TrainConfig | None = None,
) -> None:
    """Bring a database to a servable state: migrated, with data, with a model when possible.

    Args:
        demo: the demo set to generate when the database is empty (the default: 2,000 users,
            5,000 posts, 200,000 interactions).
        training: the training config (default: configs/train/default.toml).
    """
    migrate.upgrade(engine)
    if _is_empty(engine):
        folder = settings.var_dir / "demo"
        ensure_demo_files(folder, demo, console)
        ingest_folder(folder, engine, console)
    else:
        console.print("database already holds posts: skipping demo data")
    ensure_model(settings, engine, console, training)


def ensure_model(
    settings: Settings, engine: Engine, console: Console, config: TrainConfig | None
) -> None:
    """Train (and activate when it beats popularity) unless the newest model is current."""
    if newest_is_current(engine):
        console.print("newest model was trained on the stored interactions: not retraining")
        return
    if count_interactions(engine) == 0:
        console.print("no interactions stored: serving without a model (popularity and content)")
        return
    run_training(settings, engine, config or load_training_config(None), console)


def _is_empty(engine: Engine) -> bool:
    with make_sessionmaker(engine)() as session:
        return posts.count(session) == 0


def ensure_demo_files(folder: Path, config: GeneratorConfig, console: Console) -> None:
    """Generate the demo set of `config` into `folder` unless it is already there."""
    with console.status(f"demo data in {folder} (generated once) ..."):
        _paths, fresh = ensure_generated(folder, config)
    console.print(f"demo data {'generated in' if fresh else 'found in'} {folder}")


def ingest_folder(folder: Path, engine: Engine, console: Console) -> None:
    """Sync the files in `folder` through a loopback replay server, as a real sync would."""
    app = create_replay_app(load_folder(folder), flic_token=DEMO_TOKEN, resonance_key=DEMO_KEY)
    with ReplayServer(app) as server, SyncProgress(console) as progress:
        client = UpstreamClient(server.url, flic_token=DEMO_TOKEN, resonance_key=DEMO_KEY)
        with client:
            syncer = Syncer(client, engine, on_page=progress.advance)
            reports = []
            for resource in RESOURCES:
                progress.start(resource)
                reports.append(syncer.sync_resource(resource))
    render_summary(console, reports)
    log.info("demo_ingested", folder=str(folder))
