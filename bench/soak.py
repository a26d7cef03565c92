"""Soak: `videorec serve --workers 2` on PostgreSQL with Redis sessions, mixed traffic at 80% of
the measured maximum (locust), one worker killed with `kill -9` mid-run.

Steps: a fresh PostgreSQL database with a synthetic catalogue (5,000 posts, 20,000 users, 5
events each) and an API key (auth on, as in production; no rate limit); the server started with
`videorec serve --workers 2`; the maximum measured by locust without waits; then the soak at 80%
of it. Before the kill it opens `--cursors` feeds and keeps their cursors (about half issued by
the worker that dies); after the kill it follows each one. It reports, per interval, requests/s,
p50/p99 and failures; the failures around the kill; the cursor replays; and the RSS of every
server process (growth between minute 2 and the end).

locust installs a pytest plugin that monkey-patches with gevent, so it lives in its own
environment: `python3 -m venv /tmp/locust && /tmp/locust/bin/pip install locust`.

    python bench/soak.py --minutes 10 --locust /tmp/locust/bin/locust
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import numpy as np
import psycopg
from redis import Redis
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from bench.synthetic import populate  # noqa: E402

from videorec.api.security.keys import mint_key  # noqa: E402
from videorec.kit.db import make_engine, make_sessionmaker  # noqa: E402
from videorec.storage.repositories import api_keys  # noqa: E402

LOCUSTFILE = Path(__file__).resolve().parent / "soak" / "locustfile.py"


def populate_with_key(url: str, n_posts: int, n_users: int, events: int) -> str:
    """Migrate and fill the database; returns a new `feed:read` API key."""
    populate(url, n_posts, n_users, events, creators=500)
    engine = make_engine(url)
    key = mint_key()
    with make_sessionmaker(engine).begin() as session:
        api_keys.add(session, name="soak", prefix=key.prefix, key_hash=key.key_hash,
                     scopes=["feed:read"])  # fmt: skip
    engine.dispose()
    return key.secret


def admin(server_url: str, sql: str) -> None:
    conninfo = make_url(server_url).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def children(pid: int) -> list[int]:
    """Direct children of `pid` (the uvicorn workers of the supervisor), from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def workers_of(master: int) -> list[int]:
    """The uvicorn workers: children of the master that are Python (not the resource tracker)."""
    return [p for p in children(master) if "multiprocessing.resource_tracker" not in
            Path(f"/proc/{p}/cmdline").read_bytes().decode(errors="replace")]  # fmt: skip


def start_server(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    videorec = str(Path(sys.executable).parent / "videorec")
    command = [videorec, "serve", "--workers", "2", "--port", str(port)]
    server = subprocess.Popen(command, env=env, cwd=env["VIDEOREC_VAR_DIR"],
                              stdout=log.open("wb"), stderr=subprocess.STDOUT)  # fmt: skip
    return server


def wait_ready(base: str, headers: dict[str, str], seconds: float = 900) -> None:
    """Until both workers answer /feed (each builds its feed state at start-up)."""
    deadline = time.monotonic() + seconds
    ok = 0
    while ok < 10:
        if time.monotonic() > deadline:
            raise RuntimeError("server not ready")
        try:
            response = httpx.get(f"{base}/feed", params={"username": "u1"}, headers=headers,
                                 timeout=60)  # fmt: skip
            ok = ok + 1 if response.status_code == 200 else 0
        except httpx.HTTPError:
            ok = 0
            time.sleep(0.5)


def run_locust(locust: str, base: str, env: dict[str, str], users: int, seconds: int,
               prefix: Path) -> None:  # fmt: skip
    command = [locust, "-f", str(LOCUSTFILE), "--headless", "--host", base, "-u", str(users),
               "-r", str(users), "--run-time", f"{seconds}s", "--csv", str(prefix),
               "--csv-full-history", "--only-summary", "--loglevel", "WARNING"]  # fmt: skip
    subprocess.run(command, env=env, check=False, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)  # fmt: skip


def total_rps(prefix: Path) -> float:
    with open(f"{prefix}_stats.csv") as handle:
        for row in csv.DictReader(handle):
            if row["Name"] == "Aggregated":
                return float(row["Requests/s"])
    raise RuntimeError("no aggregated row")


def history(prefix: Path, interval_s: int) -> list[dict[str, float]]:
    """Per interval: requests/s, failures, p50, p99 (locust's current-window percentiles)."""
    rows = []
    with open(f"{prefix}_stats_history.csv") as handle:
        for row in csv.DictReader(handle):
            if row["Name"] == "Aggregated" and row["50%"] not in ("N/A", ""):
                rows.append(row)
    if not rows:
        return []
    start = int(rows[0]["Timestamp"])
    buckets: dict[int, list[dict[str, str]]] = {}
    for row in rows:
        buckets.setdefault((int(row["Timestamp"]) - start) // interval_s, []).append(row)
    out = []
    previous_requests = previous_failures = 0.0
    for index in sorted(buckets):
        group = buckets[index]
        last = group[-1]
        requests, failures = float(last["Total Request Count"]), float(last["Total Failure Count"])
        out.append({
            "t0": index * interval_s, "rps": (requests - previous_requests) / interval_s,
            "failures": failures - previous_failures,
            "p50": float(np.median([float(r["50%"]) for r in group])),
            "p99": float(np.max([float(r["99%"]) for r in group])),
        })  # fmt: skip
        previous_requests, previous_failures = requests, failures
    return out


def failures(prefix: Path) -> list[tuple[str, str, str]]:
    with open(f"{prefix}_failures.csv") as handle:
        return [(r["Name"], r["Error"][:100], r["Occurrences"]) for r in csv.DictReader(handle)]


def collect_cursors(base: str, headers: dict[str, str], n: int, users: int) -> list[str]:
    cursors = []
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        for i in range(n):
            body = client.get("/feed", params={"username": f"u{(i * 7919) % users + 1}"}).json()
            cursors.append(body["next_cursor"])
    return cursors


def replay(base: str, headers: dict[str, str], cursors: list[str], users: int) -> tuple[int, int]:
    ok = 0
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        for i, cursor in enumerate(cursors):
            params = {"username": f"u{(i * 7919) % users + 1}", "cursor": cursor}
            ok += client.get("/feed", params=params).status_code == 200
    return ok, len(cursors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="soak length (10 in the issue)")
    parser.add_argument("--locust", default="locust", help="the locust executable")
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/3")
    parser.add_argument("--port", type=int, default=18414)
    parser.add_argument("--posts", type=int, default=5_000)
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--probe-seconds", type=int, default=30, help="maximum measurement")
    parser.add_argument("--clients", type=int, default=24, help="locust users")
    parser.add_argument("--load", type=float, default=0.8, help="share of the maximum to run at")
    parser.add_argument("--cursors", type=int, default=40, help="cursors replayed after the kill")
    parser.add_argument("--interval", type=int, default=30, help="seconds per reported interval")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # still drop the database

    name = f"videorec_soak_{uuid.uuid4().hex[:8]}"
    db_url = make_url(args.postgres).set(database=name).render_as_string(False)
    tmp = Path(tempfile.mkdtemp(prefix="videorec-soak-"))
    admin(args.postgres, f'CREATE DATABASE "{name}"')
    redis = Redis.from_url(args.redis)
    server = None
    try:
        secret = populate_with_key(db_url, args.posts, args.users, 5)
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "VIDEOREC_DATABASE_URL": db_url,
               "VIDEOREC_VAR_DIR": str(tmp / "var"), "VIDEOREC_REDIS_URL": args.redis,
               "VIDEOREC_AUTH_REQUIRED": "true", "VIDEOREC_RATE_LIMIT": "off",
               "VIDEOREC_LOG_JSON": "true",
               "VIDEOREC_FEED_CONFIG": str(ROOT / "configs/serve/default.toml")}  # fmt: skip
        (tmp / "var").mkdir()
        server = start_server(env, args.port, tmp / "server.log")
        base = f"http://127.0.0.1:{args.port}"
        headers = {"Authorization": f"Bearer {secret}"}
        wait_ready(base, headers)
        load_env = {**os.environ, "SOAK_KEY": secret, "SOAK_USERS": str(args.users)}

        run_locust(args.locust, base, {**load_env, "SOAK_RPS_PER_USER": "0"}, args.clients,
                   args.probe_seconds, tmp / "max")  # fmt: skip
        maximum = total_rps(tmp / "max")
        target = args.load * maximum
        print(f"maximum {maximum:.1f} req/s; soak at {target:.1f} req/s", flush=True)

        seconds = int(args.minutes * 60)
        kill_at = seconds / 2
        samples: list[tuple[float, dict[int, float | None]]] = []
        events: dict[str, object] = {}
        stop = threading.Event()
        started = time.monotonic()

        def watch() -> None:
            while not stop.is_set():
                now = time.monotonic() - started
                pids = [server.pid, *workers_of(server.pid)]
                samples.append((now, {p: rss_mib(p) for p in pids}))
                if "killed" not in events and now >= kill_at - 20 and "cursors" not in events:
                    events["cursors"] = collect_cursors(base, headers, args.cursors, args.users)
                if "killed" not in events and now >= kill_at:
                    victim = workers_of(server.pid)[0]
                    os.kill(victim, signal.SIGKILL)
                    events["killed"], events["killed_at"] = victim, now
                    time.sleep(3)
                    events["replayed"] = replay(base, headers, events["cursors"], args.users)
                stop.wait(5)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        per_user = target / args.clients
        run_locust(args.locust, base, {**load_env, "SOAK_RPS_PER_USER": f"{per_user:.4f}"},
                   args.clients, seconds, tmp / "soak")  # fmt: skip
        stop.set()
        watcher.join()
        report(
            args,
            maximum,
            target,
            history(tmp / "soak", args.interval),
            failures(tmp / "soak"),
            samples,
            events,
            server.pid,
        )
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        for pattern in ("videorec:feed:*", "videorec:rate:*"):
            for key in redis.scan_iter(pattern):
                redis.delete(key)
        redis.close()
        admin(args.postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def report(args: argparse.Namespace, maximum: float, target: float,
           rows: list[dict[str, float]], errors: list[tuple[str, str, str]],
           samples: list[tuple[float, dict[int, float | None]]], events: dict[str, object],
           master: int) -> None:  # fmt: skip
    killed_at = float(events.get("killed_at", -1))  # type: ignore[arg-type]
    print(f"\n## Soak: {args.minutes:g} min, videorec serve --workers 2, PostgreSQL + Redis\n")
    print(f"- machine: {platform.node()}, {os.cpu_count()} cores (busy box, shared), "
          f"locust {args.clients} users on the same box")  # fmt: skip
    print(f"- maximum (no waits, {args.probe_seconds} s): {maximum:.1f} req/s; "
          f"soak target {args.load:.0%}: {target:.1f} req/s")  # fmt: skip
    print(f"- kill -9 of worker {events.get('killed')} at t={killed_at:.0f} s")
    ok, total = events.get("replayed", (0, 0))  # type: ignore[misc]
    print(f"- cursors issued before the kill, followed after it: {ok}/{total} answered 200\n")
    print("| interval (s) | req/s | p50 ms | p99 ms | failures |")
    print("|---|---:|---:|---:|---:|")
    for row in rows:
        mark = " (kill)" if row["t0"] <= killed_at < row["t0"] + args.interval else ""
        print(f"| {row['t0']:.0f}-{row['t0'] + args.interval:.0f}{mark} | {row['rps']:.1f} | "
              f"{row['p50']:.0f} | {row['p99']:.0f} | {row['failures']:.0f} |")  # fmt: skip
    print("\nFailures by kind:\n")
    for name, error, count in errors or [("-", "none", "0")]:
        print(f"- {name}: {error} x{count}")
    print("\nRSS (MiB) per server process:\n")
    print("| t (s) | " + " | ".join(["master", "workers"]) + " |")
    print("|---|---|---|")
    for now, rss in samples[:: max(1, len(samples) // 12)] + samples[-1:]:
        workers = ", ".join(f"{p}: {v:.0f}" for p, v in rss.items() if p != master and v)
        print(f"| {now:.0f} | {rss.get(master) or 0:.0f} | {workers} |")
    growth(samples, master, 120.0)


def growth(samples: list[tuple[float, dict[int, float | None]]], master: int,
           from_s: float) -> None:  # fmt: skip
    """RSS growth of each process alive from `from_s` to the end."""
    start = next((rss for now, rss in samples if now >= from_s), None)
    if start is None or not samples:
        return
    end = samples[-1][1]
    print(f"\nRSS growth from t={from_s:.0f} s to the end, per process alive throughout:\n")
    for pid, before in start.items():
        after = end.get(pid)
        if before and after:
            role = "master" if pid == master else "worker"
            print(f"- {role} {pid}: {before:.0f} -> {after:.0f} MiB ({after / before - 1:+.1%})")


if __name__ == "__main__":
    main()
