"""Shared fixtures: each data-layer test runs on SQLite and on the real PostgreSQL.

PostgreSQL: a fresh database `videorec_test_<random>` is created on the server at 127.0.0.1:5432
(override with VIDEOREC_TEST_POSTGRES_URL), migrated with `alembic upgrade head` (so every test run
exercises the migrations), and dropped at the end. Each test runs inside a transaction that is
rolled back, so tests never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from videorec.api.app import create_app
from videorec.api.deps import get_session
from videorec.kit.db import make_engine
from videorec.settings import Settings
from videorec.storage import migrate

POSTGRES_URL = os.environ.get(
    "VIDEOREC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _admin_conninfo(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class PostgresDatabase:
    """Creates and drops a throw-away database on the real PostgreSQL server."""

    def __init__(self, server_url: str = POSTGRES_URL) -> None:
        self.name = f"videorec_test_{uuid.uuid4().hex[:12]}"
        self.server_url = server_url
        self.url = make_url(server_url).set(database=self.name).render_as_string(False)

    def _admin(self, sql: str) -> None:
        with psycopg.connect(_admin_conninfo(self.server_url), autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def create(self) -> str:
        self._admin(f'CREATE DATABASE "{self.name}"')
        return self.url

    def drop(self) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_factory() -> Iterator[list[PostgresDatabase]]:
    """Makes extra fresh PostgreSQL databases for tests that need an empty one; drops them all."""
    made: list[PostgresDatabase] = []
    yield made
    for database in made:
        database.drop()


def fresh_database_url(backend: str, tmp_path: Path, made: list[PostgresDatabase]) -> str:
    """An empty, unmigrated database of `backend` ("sqlite" or "postgresql")."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / f'fresh-{uuid.uuid4().hex[:8]}.db'}"
    database = PostgresDatabase()
    made.append(database)
    return database.create()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def engine(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    postgres_factory: list[PostgresDatabase],
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
