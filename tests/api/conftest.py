"""Fixtures of the API tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from videorec.features.text import EmbeddingCache
from videorec.kit.db import make_engine
from videorec.storage import migrate


@pytest.fixture(scope="session")
def text_cache() -> EmbeddingCache:
    """One in-memory cache for every test, so each text is encoded once per run."""
    return EmbeddingCache()


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Engine]:
    """A committed, migrated SQLite database: the guard reads keys through its own sessions."""
    engine = make_engine(f"sqlite:///{tmp_path / 'keys.db'}")
    migrate.upgrade(engine)
    yield engine
    engine.dispose()
