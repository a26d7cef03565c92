"""`videorec serve` refuses unsafe production settings and an unreadable feed config before
binding a port."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from videorec.api.app import create_app
from videorec.errors import ConfigurationError
from videorec.settings import Settings

SRC = str(Path(__file__).resolve().parents[2] / "src")


@pytest.mark.parametrize("secret", [None, "dev-insecure-cursor-secret", ""])
def test_production_with_the_default_secret_exits_naming_the_setting(tmp_path, secret) -> None:
    env = {**os.environ, "PYTHONPATH": SRC, "VIDEOREC_ENV": "production",
           "VIDEOREC_VAR_DIR": str(tmp_path), "VIDEOREC_PORT": "1"}  # fmt: skip
    env.pop("VIDEOREC_CURSOR_SECRET", None)
    if secret is not None:
        env["VIDEOREC_CURSOR_SECRET"] = secret
    done = subprocess.run(
        [sys.executable, "-c", "from videorec.cli import main; main()", "serve"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode != 0
    assert "VIDEOREC_CURSOR_SECRET" in done.stderr


@pytest.mark.parametrize("command", ["serve", "up"])
def test_a_missing_feed_config_exits_naming_the_file(tmp_path, command) -> None:
    """`up` says so before its minutes of set-up; `serve` before a worker starts."""
    env = {**os.environ, "PYTHONPATH": SRC, "VIDEOREC_VAR_DIR": str(tmp_path),
           "VIDEOREC_PORT": "1", "VIDEOREC_FEED_CONFIG": str(tmp_path / "typo.toml")}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", "from videorec.cli import main; main()", command],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1
    assert "typo.toml" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "demo").exists()  # `up` stopped before generating anything


def test_the_app_itself_refuses_to_start_in_production_with_the_default(tmp_path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", var_dir=tmp_path,
                        env="production")  # fmt: skip
    with pytest.raises(ConfigurationError, match="VIDEOREC_CURSOR_SECRET"):
        with TestClient(create_app(settings)):
            pass


def test_production_with_an_own_secret_passes_the_check() -> None:
    Settings(env="production", cursor_secret="a-long-random-value").check_production()
    Settings(env="development").check_production()  # the default is fine outside production


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_two_workers_answer_scrapes_with_the_whole_servers_counts(tmp_path) -> None:
    import re
    import time

    import httpx

    port, shared = _free_port(), tmp_path / "prom"
    env = {**os.environ, "PYTHONPATH": SRC, "VIDEOREC_VAR_DIR": str(tmp_path / "var"),
           "VIDEOREC_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
           "PROMETHEUS_MULTIPROC_DIR": str(shared), "VIDEOREC_LOG_LEVEL": "WARNING"}  # fmt: skip
    command = [sys.executable, "-c", "from videorec.cli import main; main()", "serve",
               "--workers", "2", "--port", str(port)]  # fmt: skip
    server = subprocess.Popen(command, env=env, cwd=tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while len({p.name.split("_")[-1] for p in shared.glob("*.db")}) < 2:
            assert time.monotonic() < deadline, "two workers did not come up"
            try:  # new connection each time: the kernel spreads them over both workers
                httpx.get(f"{base}/ready", timeout=2)
            except httpx.HTTPError:
                time.sleep(0.2)
        for _ in range(40):
            assert httpx.get(f"{base}/health", timeout=5).status_code == 200
        pattern = r'videorec_http_requests_total\{route="/health",status="200"\} ([\d.]+)'
        counts = set()
        for _ in range(8):
            found = re.search(pattern, httpx.get(f"{base}/metrics", timeout=5).text)
            assert found is not None
            counts.add(float(found.group(1)))
    finally:
        server.terminate()
        server.wait(timeout=60)
    assert counts == {40.0}  # every scrape, whichever worker answers, counts both workers
