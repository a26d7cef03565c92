"""Fixtures of the ingestion tests: the real samples, a replay server, a fresh database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine

from tests.conftest import PostgresFactory, fresh_database_url
from videorec.ingestion.replay.app import create_replay_app
from videorec.ingestion.replay.data import ReplayData, load_folder
from videorec.ingestion.replay.faults import FaultConfig
from videorec.ingestion.replay.server import ReplayServer
from videorec.kit.db import make_engine
from videorec.storage import migrate

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED = REPO_ROOT.parent / "shared"
SAMPLES = SHARED / "socialverse" / "samples"
TOKEN = "flic_test-token"
KEY = "resonance_algorithm_test-key"

# What the samples hold (samples/README.md), after merging the token-scoped post objects.
SAMPLE_COUNTS = {"users": 1207, "posts": 350, "view": 5534, "like": 1234, "inspire": 210,
                 "rating": 2803}  # fmt: skip
SAMPLE_CATEGORIES = 8


def read_sample(relative: str) -> list[Any]:
    """The items of one sample file."""
    data: list[Any] = orjson.loads((SAMPLES / relative).read_bytes())
    return data


@pytest.fixture(scope="session")
def samples() -> ReplayData:
    if not SAMPLES.is_dir():
        pytest.skip(f"samples not found at {SAMPLES}")
    return load_folder(SAMPLES)


@pytest.fixture
def replay_server() -> Iterator[Callable[..., ReplayServer]]:
    """Starts replay servers (`replay_server(data, faults=...)`); stops them after the test."""
    started: list[ReplayServer] = []

    def start(data: ReplayData, faults: FaultConfig | None = None) -> ReplayServer:
        app = create_replay_app(data, faults=faults, flic_token=TOKEN, resonance_key=KEY)
        server = ReplayServer(app).__enter__()
        started.append(server)
        return server

    yield start
    for server in started:
        server.__exit__(None, None, None)


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_engine(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_factory: PostgresFactory
) -> Iterator[Callable[[], Engine]]:
    """Makes migrated, empty databases of one backend (several per test when asked)."""
    engines: list[Engine] = []

    def make() -> Engine:
        engine = make_engine(fresh_database_url(request.param, tmp_path, postgres_factory))
        migrate.upgrade(engine)
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.dispose()
