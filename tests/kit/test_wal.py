"""A server's SQLite commits leave WAL checkpoints to a background thread (kit/wal.py)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import Engine

from videorec.kit.db import make_engine
from videorec.kit.wal import BackgroundCheckpoints

ROW = "x" * 16_000  # ~4 pages of 4 KiB per commit
COMMITS = 500  # ~8 MB of log: twice SQLite's automatic threshold of 1,000 pages


def _write(engine: Engine, commits: int) -> None:
    with engine.connect() as connection:
        connection.exec_driver_sql("CREATE TABLE IF NOT EXISTS t (v TEXT)")
        connection.commit()
        for _ in range(commits):
            connection.exec_driver_sql("INSERT INTO t VALUES (?)", (ROW,))
            connection.commit()


def _wal_bytes(db: Path) -> int:
    return Path(f"{db}-wal").stat().st_size


def test_a_plain_engine_checkpoints_in_its_commits(tmp_path: Path) -> None:
    """The control: SQLite's own checkpoints keep the log near 1,000 pages."""
    db = tmp_path / "plain.db"
    engine = make_engine(f"sqlite:///{db}")
    try:
        _write(engine, COMMITS)
        assert _wal_bytes(db) < 5_000_000
    finally:
        engine.dispose()


def test_with_background_checkpoints_no_commit_checkpoints(tmp_path: Path) -> None:
    db = tmp_path / "server.db"
    engine = make_engine(f"sqlite:///{db}")
    checkpoints = BackgroundCheckpoints(engine, interval_s=3600).start()  # never gets a turn
    try:
        _write(engine, COMMITS)
        grown = _wal_bytes(db)
        assert grown > 7_000_000  # every commit appended; none copied the log back
        checkpoints.checkpoint()
        _write(engine, 100)  # a checkpointed log is written again from its start
        assert _wal_bytes(db) == grown
    finally:
        checkpoints.close()
        engine.dispose()


def test_the_thread_checkpoints_on_its_interval_and_stops_on_close(tmp_path: Path) -> None:
    db = tmp_path / "server.db"
    engine = make_engine(f"sqlite:///{db}")
    checkpoints = BackgroundCheckpoints(engine, interval_s=0.01).start()
    try:
        deadline = time.monotonic() + 60
        while checkpoints.checkpoints < 3 and time.monotonic() < deadline:
            _write(engine, 5)
        assert checkpoints.checkpoints >= 3
    finally:
        checkpoints.close()
        engine.dispose()
    assert checkpoints._thread is not None
    assert not checkpoints._thread.is_alive()


@pytest.mark.parametrize("url", ["sqlite://", "postgresql+psycopg://u@127.0.0.1:1/none"])
def test_other_backends_and_memory_databases_get_no_thread(url: str) -> None:
    engine = make_engine(url)
    checkpoints = BackgroundCheckpoints(engine).start()
    try:
        assert not checkpoints.active
    finally:
        checkpoints.close()
        engine.dispose()
