"""Benchmark: events/s through `POST /events` of a real server, on SQLite and PostgreSQL.

    PYTHONPATH=src python bench/events.py [--events 100000] [--batch 1000] [--clients 1]
        [--backends sqlite,postgresql]

For each backend: a fresh database (SQLite file in a temp folder; PostgreSQL database created
on the server at 127.0.0.1:5432 or VIDEOREC_TEST_POSTGRES_URL, dropped after) is migrated and
given a catalogue of posts and users; `videorec serve` runs in a subprocess on loopback and is
waited for until its feed state is built (`/ready`). Then `--events` events (55% views, 15%
likes, 5% inspires, 25% ratings; 1 in 20 from a username never seen, which creates a user) are
posted in batches of `--batch` by `--clients` threads, timed end to end (HTTP, JSON, validation,
user and post look-ups, insert, commit). Then the first tenth of the batches is resent, and
the stored count must not change (idempotency), which is timed too. Last, five times: a user's
top post is liked through `POST /events` and a new `GET /feed` must not show it (the time from
the POST's start to the GET's answer is reported).
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import func, insert, select
from sqlalchemy.engine import make_url

from videorec.kit.db import make_engine, make_sessionmaker
from videorec.storage import migrate
from videorec.storage.tables import Interaction, Post, User

POSTGRES_URL = os.environ.get(
    "VIDEOREC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
KINDS = ["view"] * 11 + ["like"] * 3 + ["inspire"] + ["rating"] * 5
WORDS = "calm sunset funny cat gym workout rainy station lake prank goal music dance".split()


def seed_database(url: str, posts: int, users: int) -> None:
    engine = make_engine(url)
    migrate.upgrade(engine)
    rng = random.Random(1)
    start = datetime(2025, 1, 1)
    with make_sessionmaker(engine)() as session, session.begin():
        session.execute(insert(User), [{"id": i, "username": f"u{i}"} for i in range(1, users + 1)])
        session.execute(insert(Post), [
            {"id": i, "title": " ".join(rng.sample(WORDS, 3)), "owner_username": f"c{i % 50}",
             "created_at": start + timedelta(minutes=i)}
            for i in range(1, posts + 1)
        ])  # fmt: skip
    engine.dispose()


def stored_events(url: str) -> int:
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        count = session.scalar(select(func.count()).select_from(Interaction)) or 0
    engine.dispose()
    return int(count)


def start_server(url: str, var_dir: Path, port: int) -> subprocess.Popen[bytes]:
    with socket.socket() as probe:  # a server already there would answer /ready for us
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise SystemExit(f"port {port} is in use; pass --port")
    env = {**os.environ, "VIDEOREC_DATABASE_URL": url, "VIDEOREC_VAR_DIR": str(var_dir),
           "VIDEOREC_LOG_LEVEL": "WARNING",
           "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}  # fmt: skip
    command = [sys.executable, "-c", "from videorec.cli import main; main()", "serve",
               "--port", str(port)]  # fmt: skip
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"videorec serve exited with {server.returncode}")
        try:
            ready = httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2)
            if ready.status_code == 200 and ready.json()["checks"].get("feed") == "ready":
                return server
        except (httpx.TransportError, KeyError, ValueError):
            pass
        time.sleep(1)
    server.kill()
    raise SystemExit("server did not become ready")


def make_batches(total: int, size: int, posts: int, users: int) -> list[dict[str, Any]]:
    rng = random.Random(0)
    events = []
    for i in range(total):
        new_user = rng.random() < 0.05
        kind = rng.choice(KINDS)
        event: dict[str, Any] = {
            "id": f"bench-{i}",
            "username": f"new{rng.randrange(total)}" if new_user else f"u{rng.randrange(1, users)}",
            "post_id": rng.randrange(1, posts + 1),
            "kind": kind,
        }
        if kind == "rating":
            event["rating"] = rng.randrange(0, 101)
        events.append(event)
    return [{"events": events[i : i + size]} for i in range(0, total, size)]


def post_all(
    port: int, batches: list[dict[str, Any]], clients: int, latencies: list[float] | None = None
) -> tuple[float, int]:
    """Post every batch; (seconds, events accepted). Each batch's seconds go to `latencies`."""

    def send(chunk: list[dict[str, Any]]) -> int:
        accepted = 0
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            for batch in chunk:
                sent = time.perf_counter()
                response = client.post("/events", json=batch)
                if latencies is not None:
                    latencies.append(time.perf_counter() - sent)
                if response.status_code != 200:
                    raise SystemExit(f"POST /events: {response.status_code} {response.text[:300]}")
                accepted += int(response.json()["accepted"])
        return accepted

    chunks = [batches[i::clients] for i in range(clients)]
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        accepted = sum(pool.map(send, chunks))
    return time.perf_counter() - started, accepted


def like_then_feed(port: int, users: int, tries: int = 5) -> str:
    """Like the top post of a user's feed, then open a new feed: is it gone, and how fast?"""
    gone, took = 0, []
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
        for i in range(tries):
            username = f"u{users - i}"
            top = client.get("/feed", params={"username": username}).json()["post"][0]["id"]
            started = time.perf_counter()
            like = {"id": f"like-check-{i}", "username": username, "post_id": top, "kind": "like"}
            client.post("/events", json={"events": [like]}).raise_for_status()
            after = client.get("/feed", params={"username": username}).json()["post"]
            took.append(1000 * (time.perf_counter() - started))
            gone += top not in [p["id"] for p in after]
    return f"{gone}/{tries} gone, {statistics.median(took):.0f} ms median (POST + GET)"


def postgres_database() -> tuple[str, str, str]:
    name = f"videorec_bench_{uuid.uuid4().hex[:8]}"
    admin = make_url(POSTGRES_URL).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    return make_url(POSTGRES_URL).set(database=name).render_as_string(False), name, admin


def drop_postgres(name: str, admin: str) -> None:
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


def run_backend(backend: str, args: argparse.Namespace, tmp: Path) -> None:
    dropped: tuple[str, str] | None = None
    if backend == "postgresql":
        url, name, admin = postgres_database()
        dropped = (name, admin)
    else:
        url = f"sqlite:///{tmp / 'bench.db'}"
    try:
        seed_database(url, args.posts, args.users)
        server = start_server(url, tmp / f"var-{backend}", args.port)
        try:
            batches = make_batches(args.events, args.batch, args.posts, args.users)
            latencies: list[float] = []
            seconds, accepted = post_all(args.port, batches, args.clients, latencies)
            stored = stored_events(url)
            resend = batches[: max(1, len(batches) // 10)]
            again_s, again = post_all(args.port, resend, args.clients)
            after = stored_events(url)
            reflected = like_then_feed(args.port, args.users)
        finally:
            server.terminate()
            server.wait(timeout=30)
    finally:
        if dropped is not None:
            drop_postgres(*dropped)
    resent = sum(len(b["events"]) for b in resend)
    ms = sorted(1000 * s for s in latencies)
    tenth = max(1, len(ms) // 10)
    first = statistics.median(latencies[:tenth]) * 1000
    last = statistics.median(latencies[-tenth:]) * 1000
    p95 = ms[int(len(ms) * 0.95)]
    print(f"| {backend} | {args.batch} | {args.clients} | {accepted:,} | {seconds:.1f} | "
          f"**{accepted / seconds:,.0f}** | {statistics.median(ms):.0f} / {p95:.0f} / {ms[-1]:.0f}"
          f" | {first:.0f} -> {last:.0f} | "
          f"{resent:,} resent: {again} added, stored {stored:,} -> {after:,}, "
          f"{resent / again_s:,.0f}/s | {reflected} |")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--port", type=int, default=18151)
    args = parser.parse_args()
    print(
        "| backend | batch | clients | events stored | seconds | events/s "
        "| batch ms p50 / p95 / max | batch ms p50, first -> last tenth | resend check "
        "| like -> next /feed |"
    )
    print("|---|---:|---:|---:|---:|---:|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="videorec-bench-events-") as tmp:
        for backend in args.backends.split(","):
            run_backend(backend, args, Path(tmp))


if __name__ == "__main__":
    main()
