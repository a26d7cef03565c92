"""Benchmark: sync one million generated interaction rows from the replay server.

    PYTHONPATH=src python bench/ingest.py [--rows 1000000] [--page-size 1000]
        [--backends sqlite,postgresql]

Generates simple synthetic log rows (views, likes, inspires, ratings) into a temp folder, serves
them with `videorec replay-server` in a subprocess on loopback, then syncs the four logs into a
fresh SQLite file and a fresh PostgreSQL database (created on the server at 127.0.0.1:5432 or
VIDEOREC_TEST_POSTGRES_URL, dropped after) and prints rows/s of each.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import orjson
import psycopg
from sqlalchemy.engine import make_url

from videorec.ingestion.client import UpstreamClient
from videorec.ingestion.resources import INSPIRE, LIKE, RATING, VIEW
from videorec.ingestion.sync import Syncer
from videorec.kit.db import make_engine, make_sessionmaker
from videorec.logging import configure_logging
from videorec.storage import migrate
from videorec.storage.repositories.ingest_stats import ingestion_stats

TOKEN, KEY = "bench-token", "bench-key"
SHARES = {"view": 0.5, "like": 0.2, "inspire": 0.05, "rating": 0.25}
TIME_KEYS = {
    "view": "viewed_at",
    "like": "liked_at",
    "inspire": "inspired_at",
    "rating": "rated_at",
}
POSTGRES_URL = os.environ.get(
    "VIDEOREC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def generate(folder: Path, rows: int, seed: int = 0) -> dict[str, int]:
    """Write `rows` log rows split over the four kinds; returns the count per kind."""
    rng = random.Random(seed)
    start = datetime(2024, 1, 1)
    counts = {kind: int(rows * share) for kind, share in SHARES.items()}
    counts["view"] += rows - sum(counts.values())
    for kind, count in counts.items():
        items = []
        for i in range(1, count + 1):
            when = start + timedelta(seconds=i * 7 + rng.randrange(7))
            item = {
                "id": i,
                "post_id": rng.randrange(1, 50_000),
                "user_id": rng.randrange(1, 20_000),
            }
            if kind == "rating":
                item["rating_percent"] = rng.randrange(0, 101)
            item[TIME_KEYS[kind]] = when.strftime("%Y-%m-%d %H:%M:%S")
            items.append(item)
        (folder / f"{kind}.json").write_bytes(orjson.dumps(items))
    return counts


def start_replay(folder: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "FLIC_TOKEN": TOKEN, "VIDEOREC_RESONANCE_KEY": KEY,
           "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}  # fmt: skip
    command = [sys.executable, "-c", "from videorec.cli import main; main()", "replay-server",
               "--data", str(folder), "--port", str(port)]  # fmt: skip
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/posts/view", params={"resonance_algorithm": KEY,
                      "page_size": 1}, timeout=1)  # fmt: skip
            return server
        except httpx.TransportError:
            time.sleep(0.5)
    server.kill()
    raise SystemExit("replay server did not start")


def sync_into(url: str, base_url: str, page_size: int) -> tuple[int, float]:
    engine = make_engine(url)
    migrate.upgrade(engine)
    client = UpstreamClient(base_url, flic_token=TOKEN, resonance_key=KEY)
    started = time.perf_counter()
    with client:
        Syncer(client, engine, page_size=page_size).run([VIEW, LIKE, INSPIRE, RATING])
    elapsed = time.perf_counter() - started
    with make_sessionmaker(engine)() as session:
        stored = sum(ingestion_stats(session)["interactions"].values())
    engine.dispose()
    return stored, elapsed


def postgres_database() -> tuple[str, str]:
    """A fresh database on the server: (its URL, its name)."""
    name = f"videorec_bench_{uuid.uuid4().hex[:8]}"
    admin = make_url(POSTGRES_URL).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    return make_url(POSTGRES_URL).set(database=name).render_as_string(False), admin


def drop_postgres(name: str, admin: str) -> None:
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


def main() -> None:
    configure_logging("WARNING")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--port", type=int, default=18150)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="videorec-bench-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        counts = generate(folder, args.rows)
        took = time.perf_counter() - started
        print(f"generated {sum(counts.values()):,} rows {counts} in {took:.1f} s")
        server = start_replay(folder, args.port)
        try:
            for backend in args.backends.split(","):
                run_backend(backend, folder, args, sum(counts.values()))
        finally:
            server.terminate()
            server.wait(timeout=30)


def run_backend(backend: str, folder: Path, args: argparse.Namespace, expected: int) -> None:
    base_url = f"http://127.0.0.1:{args.port}"
    if backend == "sqlite":
        stored, elapsed = sync_into(f"sqlite:///{folder / 'bench.db'}", base_url, args.page_size)
    else:
        url, admin = postgres_database()
        try:
            stored, elapsed = sync_into(url, base_url, args.page_size)
        finally:
            drop_postgres(make_url(url).database or "", admin)
    status = "ok" if stored == expected else f"MISMATCH (expected {expected:,})"
    print(
        f"{backend:<10} {stored:>10,} rows in {elapsed:7.1f} s = {stored / elapsed:>9,.0f} rows/s  "
        f"(page size {args.page_size}) {status}"
    )


if __name__ == "__main__":
    main()
