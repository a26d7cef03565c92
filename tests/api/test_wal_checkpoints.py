"""The server's own SQLite engine checkpoints its WAL from a thread, not in request commits."""

from __future__ import annotations

import threading

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
