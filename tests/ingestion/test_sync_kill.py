"""A real `videorec sync` process killed with SIGKILL mid-run, then rerun, on both backends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import PostgresFactory, fresh_database_url
from tests.ingestion.conftest import KEY, REPO_ROOT, TOKEN
from tests.ingestion.sync_helpers import run_sync, snapshot
from videorec.ingestion.replay.faults import FaultConfig
from videorec.kit.db import make_engine
from videorec.storage import migrate
from videorec.storage.tables import SyncState

PAGE_SIZE = 200


def sync_process(database_url: str, api_url: str, *, capture: bool) -> subprocess.Popen[bytes]:
    env = {**os.environ, "VIDEOREC_DATABASE_URL": database_url, "VIDEOREC_API_BASE_URL": api_url,
           "FLIC_TOKEN": TOKEN, "VIDEOREC_RESONANCE_KEY": KEY,
           "PYTHONPATH": str(REPO_ROOT / "src")}  # fmt: skip
    command = [sys.executable, "-c", "from videorec.cli import main; main()", "sync",
               "--page-size", str(PAGE_SIZE)]  # fmt: skip
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE if capture else subprocess.DEVNULL)  # fmt: skip


def wait_for_view_page(engine, page: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, "the sync ended before it could be killed"
        with engine.connect() as conn:
            state = conn.execute(select(SyncState.next_page).where(SyncState.resource == "view"))
            reached = state.scalar()
        if reached is not None and reached >= page:
            return
        time.sleep(0.05)
    raise AssertionError("the sync never reached the page to kill it at")


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_sigkill_then_rerun_ends_identical(
    backend: str, samples, replay_server, tmp_path: Path, postgres_factory: PostgresFactory
) -> None:
    # Latency keeps the run long enough to kill it in the middle of the view log.
    api_url = replay_server(samples, FaultConfig(latency_ms=20)).url
    expected_engine = make_engine(fresh_database_url(backend, tmp_path, postgres_factory))
    migrate.upgrade(expected_engine)
    run_sync(expected_engine, api_url, page_size=PAGE_SIZE)
    url = fresh_database_url(backend, tmp_path, postgres_factory)
    engine = make_engine(url)
    migrate.upgrade(engine)
    victim = sync_process(url, api_url, capture=False)
    wait_for_view_page(engine, 6, victim)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=30)
    assert victim.returncode == -signal.SIGKILL
    rerun = sync_process(url, api_url, capture=True)
    _, stderr = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, stderr.decode()
    assert snapshot(engine) == snapshot(expected_engine)
    engine.dispose()
    expected_engine.dispose()
