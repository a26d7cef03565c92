"""`videorec serve --workers N` clears the Prometheus folder of old series, and nothing else."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from videorec.api.metrics import MULTIPROC_ENV, use_multiprocess_dir

WRITE_SERIES = """
from prometheus_client import Counter, Gauge, Histogram
Counter("c", "c").inc()
Histogram("h", "h").observe(1.0)
Gauge("g", "g", multiprocess_mode="livesum").set(1)
"""


def test_only_prometheus_files_are_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`PROMETHEUS_MULTIPROC_DIR=var` named the folder holding the database, and every `*.db`
    in it was deleted: `var/videorec.db` with it."""
    monkeypatch.setenv(MULTIPROC_ENV, str(tmp_path))  # restored after the test
    env = {**os.environ, MULTIPROC_ENV: str(tmp_path)}
    subprocess.run([sys.executable, "-c", WRITE_SERIES], env=env, check=True, timeout=60)
    written = sorted(p.name for p in tmp_path.glob("*.db"))
    assert len(written) == 3, written  # what prometheus_client itself names its files
    (tmp_path / "videorec.db").write_bytes(b"SQLite format 3\x00")
    (tmp_path / "counter.db").write_bytes(b"not a series")

    use_multiprocess_dir(tmp_path)

    assert sorted(p.name for p in tmp_path.glob("*.db")) == ["counter.db", "videorec.db"]
    assert os.environ[MULTIPROC_ENV] == str(tmp_path)
