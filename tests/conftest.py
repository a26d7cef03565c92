"""Shared fixtures: each data-layer test runs on SQLite and on a real PostgreSQL.

PostgreSQL and Redis are found or started by `tests/servers.py` (the configured servers, else
throw-away ones from pip packages); where neither works their tests skip with one summary line,
or, under `CI=true`, the run fails. A fresh database `videorec_test_<random>` is created on the
PostgreSQL server, migrated with `alembic upgrade head` (so every run exercises the migrations),
and dropped at the end. Each test runs inside a transaction that is rolled back, so tests never
see each other's rows. Tests marked `slow` run only with `--slow` (or when `-m` selects them).
"""

from __future__ import annotations

import gc
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from tests import servers
from videorec.api.app import create_app
from videorec.api.deps import get_session
from videorec.kit.db import make_engine
from videorec.settings import Settings, get_settings
from videorec.storage import migrate

SKIP_PREFIX = "needs "
# A first /feed builds the feed state (text encoding): on a busy shared box that took over the
# 30 s default request timeout. Tests that check the timeout set their own.
os.environ.setdefault("VIDEOREC_REQUEST_TIMEOUT_S", "600")
# `videorec sync` lowers its own CPU priority; run in-process by a test it would renice the runner.
os.environ.setdefault("VIDEOREC_SYNC_NICE", "0")
_found: dict[str, servers.Server] = {}


def _server(kind: str, find: Callable[[], servers.Server]) -> str:
    """The URL of the server of `kind`, found once per run; skips (or, under CI, fails) without."""
    if kind not in _found:
        _found[kind] = find()
    server = _found[kind]
    if server.url is not None:
        return server.url
    if servers.in_ci():
        pytest.fail(f"CI=true and no {kind}: {server.missing_reason}", pytrace=False)
    pytest.skip(f"{SKIP_PREFIX}{kind}: {server.missing_reason}")


def postgres_server_url() -> str:
    return _server("PostgreSQL", servers.find_postgres)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--slow", action="store_true", help="also run tests marked slow")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect `slow` tests unless `--slow` is given or a `-m` expression chooses."""
    if config.getoption("--slow") or config.getoption("markexpr"):
        return
    slow = [item for item in items if item.get_closest_marker("slow")]
    if slow:
        items[:] = [item for item in items if not item.get_closest_marker("slow")]
        config.hook.pytest_deselected(items=slow)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line per missing server: how many tests skipped, and why."""
    reasons: dict[str, int] = {}
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        reason = reason.removeprefix("Skipped: ")
        if reason.startswith(SKIP_PREFIX):
            reasons[reason] = reasons.get(reason, 0) + 1
    for reason, count in reasons.items():
        terminalreporter.write_line(f"{count} tests skipped: {reason}", yellow=True)


@pytest.fixture(autouse=True)
def _unfreeze_heap() -> Iterator[None]:
    """A test that starts the app as a server starts it freezes the process's objects
    (`kit.heap.freeze_heap`); the next test gets the collector back as it was, also when an
    earlier test's warm-up thread froze it after that test ended."""
    if gc.get_freeze_count():
        gc.unfreeze()
    yield
    if gc.get_freeze_count():
        gc.unfreeze()


@pytest.fixture
def settled_heap() -> None:
    """For tests that read the collector's frozen set: wait for every earlier test's feed
    warm-up thread (it loads the text model after its test ended, then freezes the heap) and
    pool warmer, so no freeze or burst of garbage lands in the middle of the test. The
    registry and the warmer name those threads."""
    for thread in threading.enumerate():
        if thread.name in ("feed-warm-up", "pool-warmer"):
            thread.join(timeout=180)
            assert not thread.is_alive(), "a feed warm-up thread outlived 180 s"
    gc.unfreeze()


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    """`get_settings` reads the environment (as the test has set it) afresh, and again after
    the test, so no other test sees its settings."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def pytest_sessionfinish() -> None:
    for server in _found.values():
        server.stop()


class PostgresDatabase:
    """Creates and drops a throw-away database on the PostgreSQL server."""

    def __init__(self, server_url: str) -> None:
        self.name = f"videorec_test_{uuid.uuid4().hex[:12]}"
        self.server_url = server_url
        self.url = make_url(server_url).set(database=self.name).render_as_string(False)

    def _admin(self, sql: str) -> None:
        conninfo = servers.admin_conninfo(self.server_url)
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def create(self) -> str:
        self._admin(f'CREATE DATABASE "{self.name}"')
        return self.url

    def drop(self) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


class PostgresFactory:
    """Makes fresh databases on the PostgreSQL server; remembers only those it created."""

    def __init__(self) -> None:
        self.made: list[PostgresDatabase] = []

    def create(self) -> str:
        database = PostgresDatabase(postgres_server_url())
        url = database.create()
        self.made.append(database)  # only once it exists, so teardown never drops a ghost
        return url

    def drop_all(self) -> None:
        for database in self.made:
            database.drop()
        self.made.clear()


@pytest.fixture(scope="session")
def postgres_factory() -> Iterator[PostgresFactory]:
    """Makes extra fresh PostgreSQL databases for tests that need an empty one; drops them all."""
    factory = PostgresFactory()
    yield factory
    factory.drop_all()


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A Redis URL (db 15 of the configured server, or a throw-away server); skips without."""
    return _server("Redis", servers.find_redis)


def fresh_database_url(backend: str, tmp_path: Path, factory: PostgresFactory) -> str:
    """An empty, unmigrated database of `backend` ("sqlite" or "postgresql")."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / f'fresh-{uuid.uuid4().hex[:8]}.db'}"
    return factory.create()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def engine(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    postgres_factory: PostgresFactory,
) -> Iterator[Engine]:
    """A migrated database of each backend, shared by the session."""
    url = fresh_database_url(request.param, tmp_path_factory.mktemp("db"), postgres_factory)
    engine = make_engine(url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test."""
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    yield session
    session.close()
    transaction.rollback()
    connection.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path / 'unused.db'}", var_dir=tmp_path / "var")


@pytest.fixture
def client(engine: Engine, session: Session, settings: Settings) -> Iterator[TestClient]:
    """An API client whose requests share the test's rolled-back session."""
    app = create_app(settings, engine=engine)
    app.dependency_overrides[get_session] = lambda: session
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
