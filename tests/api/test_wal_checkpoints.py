"""The server's own SQLite engine checkpoints its WAL from a thread, not in request commits."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient

from videorec.api.app import create_app
from videorec.settings import Settings


def _checkpoint_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "wal-checkpoints"]


def test_the_apps_own_engine_checkpoints_in_the_background_until_shutdown(tmp_path) -> None:
    before = len(_checkpoint_threads())
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'app.db'}", var_dir=tmp_path)
    with TestClient(create_app(settings)) as client:
        engine = client.app.state.engine  # type: ignore[attr-defined]
        with engine.connect() as connection:
            automatic = connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
        running = len(_checkpoint_threads())
    assert automatic == 0  # a request's commit never copies the log back
    assert running == before + 1
    assert len(_checkpoint_threads()) == before  # stopped at shutdown


def test_a_start_up_that_fails_leaves_no_checkpoint_thread(tmp_path, monkeypatch) -> None:
    def failing_start(*_args: object) -> None:
        raise RuntimeError("the feed could not start")

    monkeypatch.setattr("videorec.api.app.start_feed", failing_start)
    before = len(_checkpoint_threads())
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'app.db'}", var_dir=tmp_path)
    with pytest.raises(RuntimeError, match="could not start"), TestClient(create_app(settings)):
        pass
    assert len(_checkpoint_threads()) == before
