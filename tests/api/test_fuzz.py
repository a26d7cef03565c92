"""schemathesis (`st run --checks all`) against a real server: no 5xx, and every response
(status, headers, body) as the OpenAPI document says, for valid and invalid input alike.

The server (`uvicorn videorec.main:app`, its real request sessions) runs on a committed SQLite
database holding the seeded world, once with auth off and once with auth on and an admin key
(so the `ignored_auth` check proves that a request without the key is refused).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.helpers import add_key
from tests.serving import world
from videorec.kit.db import make_engine, make_sessionmaker
from videorec.storage import migrate

ROOT = Path(__file__).resolve().parents[2]
MAX_EXAMPLES = "40"


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("fuzz")
    engine = make_engine(f"sqlite:///{folder / 'fuzz.db'}")
    migrate.upgrade(engine)
    with make_sessionmaker(engine).begin() as db:
        world.populate(db)
    admin = add_key(engine, "fuzzer", ["admin"])
    engine.dispose()
    return folder, admin


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _environment(folder: Path, **extra: str) -> dict[str, str]:
    paths = [str(ROOT), str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in paths if p),
        "VIDEOREC_DATABASE_URL": f"sqlite:///{folder / 'fuzz.db'}",
        "VIDEOREC_VAR_DIR": str(folder / "var"),
        **extra,
    }


@pytest.fixture
def server(database, request) -> Iterator[tuple[str, dict[str, str]]]:
    """A running server; `request.param` says whether auth is on."""
    folder, admin = database
    auth_on = request.param
    port = _free_port()
    env = _environment(folder, VIDEOREC_AUTH_REQUIRED=str(auth_on).lower())
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "videorec.main:app", "--port", str(port),
         "--no-access-log", "--log-level", "warning"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=folder,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {admin}"} if auth_on else {}
    try:
        deadline = time.monotonic() + 300  # a busy 2-core box: torch, the text model, the state
        while True:
            try:
                ready = httpx.get(f"{base}/ready", headers=headers, timeout=2)
                if ready.status_code == 200 and ready.json()["checks"]["feed"] == "ready":
                    break  # the feed state is built (a busy box can take longer than 30 s)
            except httpx.TransportError:
                pass
            assert process.poll() is None, "the server exited at start-up"
            assert time.monotonic() < deadline, "the server did not become ready"
            time.sleep(0.3)
        yield base, headers
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.parametrize("server", [False, True], ids=["auth-off", "auth-on"], indirect=True)
def test_schemathesis_finds_nothing(server, database) -> None:
    base, headers = server
    response = httpx.get(f"{base}/feed", params={"username": "fan0", "page_size": 5},
                         headers=headers, timeout=60)  # fmt: skip
    assert response.status_code == 200, response.text
    first = response.json()
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{base}/openapi.json",
        "--checks",
        "all",
        "--max-examples",
        MAX_EXAMPLES,
        "--seed",
        "14",
        "--no-color",
    ]
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    env = _environment(database[0], SCHEMATHESIS_HOOKS="tests.fuzz_hooks",
                       VIDEOREC_FUZZ_CURSOR=first["next_cursor"], VIDEOREC_FUZZ_CURSOR_USER="fan0",
                       VIDEOREC_FUZZ_POST=str(first["post"][0]["id"]))  # fmt: skip
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=540,
                            cwd=database[0])  # fmt: skip
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "No issues found" in result.stdout
