"""Benchmark of `GET /feed` beside `/health`, every figure of issue 13 in one run per size.

For each catalogue size it writes a synthetic SQLite database (N posts, 100k users, 5 events
each), optionally trains and activates a small model on it (`--model`: two-tower + ranker, 1
epoch each, `videorec train`'s own code path), and drives `uvicorn videorec.main:app`
(httptools, uvloop, no access log) with `wrk` on loopback. It reports:

- start to ready: launch until `/ready` answers 200, on a first start (the feed state is built,
  then snapshotted) and on a restart (the state comes from the snapshot);
- `/health`, `/feed` new sessions (a random known user per request) and `/feed` scroll (follow
  `next_cursor` to the end of the session, as the app does): p50/p99 with 1 connection and
  req/s with 8, and the ratios to `/health`; scroll also paced, 50 ms between pages (a reader);
- a scroll page this process holds in memory already (a cursor served before; a computed
  scroll page also computes the next `pages_ahead`), answered on the event loop;
- a page past the session pool (`page=10000`) against a new session;
- a new session of one user over and over (`/feed?username=u3`): its ranked pool is held
  (`serving/ranked_pools.py`) and the user has had no events since, so it opens in memory
  (`FeedService.open_in_memory`: no history read, the session stored behind the answer);
- new sessions of random users among those whose pools the server warmed at start-up
  (`warm_pools`, the users with the latest events: `serving/pool_warmer.py`), against the row
  of random users of all 100k (mostly not warm: ranked when they come);
- `/health` p50/p99 during a `/feed` flood (8 connections) and during a `videorec sync` (a
  generated demo set through the replay server) writing to the same database;
- with `--workers N` (default 2), req/s of new sessions and scroll pages with N workers;
- with `--model`, the ANN recall@500 of the model's index (searched as the feed searches it)
  against exact search on the model's own post vectors.

    nice -n 10 python bench/feed.py --sizes 10000 100000 --seconds 8 --model
    nice -n 10 python bench/feed.py --sizes 1000000 --seconds 8 --model --no-extras
    python bench/feed.py --sizes 100000 --model --no-extras --distinct-texts  # a title per post

The synthetic posts repeat 600 distinct texts unless `--distinct-texts` (each post's text its
own, though near-duplicates: 8 base titles and the post's number; encoded once into the text
cache): the content source's cost follows the distinct texts (`bench/content_scale.py`).
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from bench.synthetic import populate  # noqa: E402

from videorec.kit.db import make_engine  # noqa: E402

USERS = 100_000
EVENTS_PER_USER = 5
PORT = 18401
SEEDED_THREADS = """
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end
init = function(args)
  math.randomseed(%(seed)d * 100 + thread_id)
end
"""
"""Each wrk thread seeds its own draws from the run's `seed` and its number (see `LUA`)."""
LUA = (
    SEEDED_THREADS
    + """request = function()
  return wrk.format("GET", "/feed?username=u" .. math.random(1, %(users)d))
end
"""
)
"""New sessions, a random known user per request. Each wrk run (its `seed`) and each of its
threads draw users of their own: with one seed for all, a run replayed the users of the run
before, and a second thread those of the first, which a server keeping per-user work
(`serving/ranked_pools.py`) would answer from memory."""
SCROLL_LUA = """
-- a cursor names its user, and a wrk thread's connections share `cursor`: one user per thread
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("user", "u" .. (threads * 7919 %% %d + 1))
end
local cursor = nil
request = function()
  if cursor then
    return wrk.format("GET", "/feed?username=" .. user .. "&cursor=" .. cursor)
  end
  return wrk.format("GET", "/feed?username=" .. user)
end
response = function(status, headers, body)
  cursor = string.match(body, '"next_cursor":"([^"]+)"')
end
"""
PACED_LUA = SCROLL_LUA + "delay = function() return 50 end\n"
"""The scroll script with 50 ms between a page and the next request, as a reader leaves time."""
WARMED_LUA = (
    "names = {%(names)s}\n"
    + SEEDED_THREADS
    + """request = function()
  return wrk.format("GET", "/feed?username=" .. names[math.random(1, #names)])
end
"""
)
"""New sessions of random users among `names` (those the server warmed)."""


def train_model(url: str, var_dir: Path, extras: bool = True) -> str:
    """Train a small model on the database at `url`, register and activate it; its version.

    The short-history tower is off: it serves only users with 1-2 events, which the benchmark's
    users (5 events each) are not, and its fine-tuning (20 epochs x 10 passes over 100,000
    users) ran past 10 minutes here before the rest of the model was saved.
    `extras=False` skips the serving extras (`[serving_extras] enabled = false`: no neighbour
    lists, the serve config's weights), whose tuning takes tens of minutes from 100k posts.
    """
    from videorec.settings import Settings
    from videorec.training.config import TrainConfig
    from videorec.training.service import train_and_register

    config = TrainConfig.model_validate({
        "threads": 1, "split": {"max_validation_users": 200},
        "two_tower": {"epochs": 1}, "ranker": {"epochs": 1, "max_pairs": 50_000},
        "serving_extras": {"enabled": extras}, "short_history": {"enabled": False},
    })  # fmt: skip
    engine = make_engine(url)
    try:
        result = train_and_register(Settings(database_url=url, var_dir=var_dir), engine, config,
                                    force=True)  # fmt: skip
    finally:
        engine.dispose()
    return result.version


def active_version(url: str) -> str | None:
    """The active model's version in the database at `url`, if any."""
    from videorec.kit.db import make_sessionmaker
    from videorec.storage.repositories import feed

    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as db:
            return feed.active_model(db)[0]
    finally:
        engine.dispose()


def server_env(url: str, var_dir: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT / "src"), "VIDEOREC_DATABASE_URL": url,
            "VIDEOREC_VAR_DIR": str(var_dir), "VIDEOREC_LOG_LEVEL": "WARNING",
            "VIDEOREC_FEED_CONFIG": str(ROOT / "configs/serve/default.toml")}  # fmt: skip


def start_server(
    url: str, var_dir: Path, workers: int = 1
) -> tuple[subprocess.Popen[bytes], float]:
    """Start the server; (process, seconds from launch until `/ready` answered 200).

    Returns once the text model (loaded after ready, for `mood` requests) is loaded and the
    pools are warm (`serving/pool_warmer.py`), so neither shares the cores with the
    measurements that follow; `text_model_s` of the returned process says when that was.
    """
    _check_port_free(PORT)
    env = server_env(url, var_dir)
    if workers > 1:  # as `videorec serve --workers N` does
        shared = var_dir / "prometheus"
        shared.mkdir(parents=True, exist_ok=True)
        for stale in shared.glob("*.db"):
            stale.unlink()
        env["PROMETHEUS_MULTIPROC_DIR"] = str(shared)
    command = [sys.executable, "-m", "uvicorn", "videorec.main:app", "--host", "127.0.0.1",
               "--port", str(PORT), "--no-access-log", "--loop", "uvloop", "--http", "httptools",
               "--log-level", "warning", "--workers", str(workers)]  # fmt: skip
    started = time.perf_counter()
    server = subprocess.Popen(command, env=env, cwd=ROOT)
    ready: float | None = None
    while time.perf_counter() - started < 900:
        try:
            answer = httpx.get(f"http://127.0.0.1:{PORT}/ready", timeout=2)
            if answer.status_code == 200:
                ready = ready or time.perf_counter() - started
                checks = answer.json()["checks"]
                if checks.get("text_model") in ("ready", "failed", None) and _warm(checks):
                    server.text_model_s = time.perf_counter() - started  # type: ignore[attr-defined]
                    return server, ready
        except httpx.HTTPError:
            pass
        time.sleep(0.02)
    server.kill()
    raise RuntimeError("server did not become ready")


def _warm(checks: dict[str, str]) -> bool:
    """Whether the pool warmer is done (or off), so it shares no core with the timings."""
    return str(checks.get("pools", "off")).split()[0] in ("warm", "failed", "off")


def warmed_users(url: str, tmp: Path, seed: int) -> Path:
    """A wrk script of new sessions of the users the server warms (`warm_pools` of the shipped
    config: the users with the latest events, as `serving/pool_warmer.py` picks them)."""
    from sqlalchemy.orm import Session

    from videorec.serving.config import load_feed_config
    from videorec.storage.repositories import feed

    engine = make_engine(url)
    try:
        with Session(engine) as db:
            users = feed.recently_active_users(db, load_feed_config().warm_pools)
    finally:
        engine.dispose()
    path = tmp / f"warmed-{seed}.lua"
    names = ",".join(f'"{name}"' for _, name in users)
    path.write_text(WARMED_LUA % {"names": names, "seed": seed})
    return path


def _check_port_free(port: int) -> None:
    """Fail loudly when another server holds the port: its `/ready` would pass for ours."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise RuntimeError(f"port {port} is in use (another bench?): pass --port") from exc


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    server.wait(timeout=60)


def wrk(path: str, connections: int, seconds: int, script: Path | None) -> dict[str, float]:
    """Run wrk; p50/p99 in ms and requests/s."""
    command = ["wrk", "-t", str(min(connections, 2)), "-c", str(connections), "-d", f"{seconds}s",
               "--latency", f"http://127.0.0.1:{PORT}{path}"]  # fmt: skip
    if script:
        command[1:1] = ["-s", str(script)]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert rps is not None, out
    return {"p50": _ms(out, "50%"), "p99": _ms(out, "99%"), "rps": float(rps.group(1))}


def _ms(out: str, label: str) -> float:
    found = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", out)
    assert found is not None, out
    value, unit = found.groups()
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]


def ann_recall(url: str, k: int = 500, queries: int = 200) -> dict[str, float]:
    """The active model's ANN recall@k against exact search on its own post vectors.

    Queries are the user tower's vectors of random known users with their stored histories;
    the index is searched as the feed searches it (`load_artifact_model`: its efSearch).
    """
    import faiss

    from videorec.kit.ann import PostSearch
    from videorec.kit.db import make_sessionmaker
    from videorec.serving.registry import load_artifact_model
    from videorec.storage.repositories import feed

    engine = make_engine(url)
    with make_sessionmaker(engine)() as db:
        _, path = feed.active_model(db)
        assert path is not None
        model = load_artifact_model(path)
        users = np.random.default_rng(5).integers(1, USERS + 1, queries)
        vectors = np.stack([model.user_vector(int(u), feed.user_history(db, int(u), 200))
                            for u in users])  # fmt: skip
    engine.dispose()
    index = model.index  # type: ignore[attr-defined]
    post_vectors = np.asarray(model.post_vectors)  # type: ignore[attr-defined]
    blocks = np.array_split(vectors, max(1, queries // 20))  # 20 x 1M scores at a time
    exact = np.concatenate([np.argpartition(-(b @ post_vectors.T), k, axis=1)[:, :k]
                            for b in blocks])  # fmt: skip
    faiss.omp_set_num_threads(1)
    rows = np.arange(post_vectors.shape[0], dtype=np.int64)
    started = time.perf_counter()
    search = PostSearch(index, rows)  # as the feed searches: one per loaded model
    found = [search.nearest(vector, k)[0] for vector in vectors]
    per_query = (time.perf_counter() - started) / queries * 1e3
    recall = np.mean([len(set(a) & set(b)) / k for a, b in zip(exact, found, strict=True)])
    ef = getattr(getattr(index, "hnsw", None), "efSearch", None)
    kind = type(index).__name__ + (" over the L2 form" if index.metric_type == 1 else "")
    return {"recall": float(recall), "query_ms": per_query, "ef": -1 if ef is None else ef,
            "kind": kind}  # fmt: skip


def wrk_during(path: str, seconds: int, lua: Path | None, load: list[str]) -> dict[str, float]:
    """`/health`-style latency with 1 connection while `load` (a command) runs beside it."""
    other = subprocess.Popen(load, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        return wrk(path, 1, seconds, lua)
    finally:
        if other.poll() is None:
            other.terminate()
            other.wait(timeout=60)


def new_sessions(tmp: Path, seed: int) -> Path:
    """The new-session wrk script drawing users with `seed` (see `LUA`)."""
    path = tmp / f"feed-{seed}.lua"
    path.write_text(LUA % {"seed": seed, "users": USERS})
    return path


def flood_command(seconds: int, script: Path) -> list[str]:
    return ["wrk", "-t", "2", "-c", "8", "-d", f"{seconds + 1}s", "-s", str(script),
            f"http://127.0.0.1:{PORT}/feed"]  # fmt: skip


def health_during_sync(
    url: str, var_dir: Path, tmp: Path, seconds: int, sync_nice: int | None = None
) -> dict[str, float]:
    """`/health` p50/p99 (1 connection) while `videorec sync` writes to the server's database
    (at `VIDEOREC_SYNC_NICE` = `sync_nice`; None: the setting's default)."""
    data = tmp / "sync-data"
    cli = [sys.executable, "-c", "from videorec.cli import main; main()"]
    env = {**server_env(url, var_dir), "FLIC_TOKEN": "bench", "VIDEOREC_RESONANCE_KEY": "bench"}
    if sync_nice is not None:
        env["VIDEOREC_SYNC_NICE"] = str(sync_nice)
    if not data.exists():
        subprocess.run([*cli, "generate", "--users", "2000", "--posts", "5000",
                        "--interactions", "100000", "--seed", "3", "--out", str(data)],
                       env=env, check=True, capture_output=True)  # fmt: skip
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    replay = subprocess.Popen(
        [*cli, "replay-server", "--data", str(data), "--port", str(PORT + 1)], env=env, **quiet
    )
    try:
        for _ in range(300):
            try:
                httpx.get(f"http://127.0.0.1:{PORT + 1}/", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        sync_env = {**env, "VIDEOREC_API_BASE_URL": f"http://127.0.0.1:{PORT + 1}"}
        started = time.perf_counter()
        sync = subprocess.Popen([*cli, "sync", "--full", "--page-size", "500"], env=sync_env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
        time.sleep(1.0)
        figures = wrk("/health", 1, seconds, None)
        figures["sync_running_at_end"] = float(sync.poll() is None)
        _, err = sync.communicate(timeout=900)
        figures["sync_s"] = time.perf_counter() - started
        figures["sync_rc"] = float(sync.returncode)
        if sync.returncode:
            print("sync failed:", err.decode()[-500:])
        return figures
    finally:
        replay.terminate()
        replay.wait(timeout=30)


def restore_usernames(database: Path) -> int:
    """Give users 1..USERS their bench names again (`u{id}`); how many were renamed. The sync
    step of an earlier run on a reused `--workdir` stored the demo set, whose users 1-2,000
    share the bench users' ids and renamed them, so `u3` and 2 % of the random users had become
    unknown users (a cold start: no pool held, nothing opened in memory). That run's posts and
    events stay."""
    db = sqlite3.connect(database)
    try:
        with db:
            renamed = db.execute(
                "UPDATE users SET username = 'u' || id WHERE id <= ? AND username != 'u' || id",
                (USERS,),
            ).rowcount
    finally:
        db.close()
    return int(renamed)


def clear_sessions(database: Path) -> None:
    """Delete the feed sessions earlier runs left in a reused database, and compact it: each run
    writes tens of thousands (~5 kB each), and a database grown to 430 MB by earlier runs gave
    new sessions a p99 of 173 ms where a fresh one gave 6.5 ms, so runs were not comparable."""
    db = sqlite3.connect(database, isolation_level=None)  # autocommit: VACUUM needs it
    try:
        db.execute("DELETE FROM feed_sessions")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.execute("VACUUM")
    finally:
        db.close()


def line(name: str, one: dict[str, float], many: dict[str, float] | None = None) -> None:
    text = f"{name:34} p50 {one['p50']:7.2f} ms  p99 {one['p99']:7.2f} ms  (1 conn)"
    if many is not None:
        text += f"  {many['rps']:7.0f} req/s (8 conn, p99 {many['p99']:.1f} ms)"
    print(text, flush=True)


def run_size(n_posts: int, seconds: int, tmp: Path, model: bool = False, ann: bool = True,
             workers: int = 2, start_only: bool = False, extras: bool = True,
             distinct: bool = False) -> None:  # fmt: skip
    name = f"{n_posts}-distinct" if distinct else f"{n_posts}"
    database = tmp / f"bench-{name}.db"
    url = f"sqlite:///{database}"
    var_dir = tmp / f"var-{name}"
    started = time.perf_counter()
    reused = database.exists()
    if reused:
        clear_sessions(database)
        renamed = restore_usernames(database)
    else:
        populate(url, n_posts, USERS, EVENTS_PER_USER, distinct_texts=distinct)
    texts = "a text per post" if distinct else "600 distinct texts"
    print(f"\n== {n_posts:,} posts ({texts}), {USERS:,} users, {USERS * EVENTS_PER_USER:,} events "
          f"({'reused from --workdir' if reused else 'setup'} "
          f"{time.perf_counter() - started:.0f} s)", flush=True)  # fmt: skip
    if reused:
        print(
            f"reused database: {renamed} bench users renamed back (an earlier run's sync "
            f"had renamed them); it also holds that sync's posts and events",
            flush=True,
        )
    if model:
        started = time.perf_counter()
        version = active_version(url) if reused else None
        how = "reused from --workdir"
        if version is None:
            version = train_model(url, var_dir, extras)
            how = "trained and activated" + ("" if extras else " without serving extras")
        onnx = (var_dir / "models" / version / "onnx" / "meta.json").is_file()
        served = "ONNX Runtime (exported)" if onnx else "PyTorch (no ONNX export)"
        print(f"model {version} {how} in {time.perf_counter() - started:.0f} s, "
              f"served by {served}")  # fmt: skip
    scroll = tmp / "scroll.lua"
    scroll.write_text(SCROLL_LUA % USERS)
    (tmp / "paced.lua").write_text(PACED_LUA % USERS)
    (tmp / "paced_health.lua").write_text("delay = function() return 50 end\n")
    server, cold = start_server(url, var_dir)
    stop_server(server)
    server, warm = start_server(url, var_dir)
    settled = server.text_model_s  # type: ignore[attr-defined]
    print(f"start to ready: {cold:.1f} s on the first start (feed state built), "
          f"{warm:.1f} s on a restart (feed state from its snapshot); the mood text model "
          f"loaded and the pools warm {settled:.1f} s after the restart's launch",
          flush=True)  # fmt: skip
    if start_only:
        stop_server(server)
        return
    try:
        body = httpx.get(f"http://127.0.0.1:{PORT}/feed?username=u1", timeout=60).json()
        print(f"model_version {body['model_version']}")
        health = wrk("/health", 1, seconds, None), wrk("/health", 8, seconds, None)
        line("/health", *health)
        new = (wrk("/feed", 1, seconds, new_sessions(tmp, 1)),
               wrk("/feed", 8, seconds, new_sessions(tmp, 2)))  # fmt: skip
        line("/feed new session", *new)
        scrolled = wrk("/feed", 1, seconds, scroll), wrk("/feed", 8, seconds, scroll)
        line("/feed scroll (cursor)", *scrolled)
        paced = wrk("/feed", 1, seconds, tmp / "paced.lua")
        line("/feed scroll, 50 ms between pages", paced)
        paced_health = wrk("/health", 1, seconds, tmp / "paced_health.lua")
        line("/health, 50 ms between requests", paced_health)
        first = httpx.get(f"http://127.0.0.1:{PORT}/feed?username=u3", timeout=60).json()
        again = f"/feed?username=u3&cursor={first['next_cursor']}"
        httpx.get(f"http://127.0.0.1:{PORT}{again}", timeout=60)  # computes pages 2..2+ahead
        held = wrk(again, 1, seconds, None)
        line("/feed a page held in memory", held)
        reopened = wrk("/feed?username=u3", 1, seconds, None)  # its ranked pool is held
        line("/feed new session, pool held", reopened)
        warmed = (wrk("/feed", 1, seconds, warmed_users(url, tmp, 5)),
                  wrk("/feed", 8, seconds, warmed_users(url, tmp, 6)))  # fmt: skip
        line("/feed new session, warmed user", *warmed)
        forged = wrk("/feed?username=u1&page=10000", 1, seconds, None)
        line("/feed page=10000 (past the pool)", forged)
        flood = wrk_during("/health", seconds, None, flood_command(seconds, new_sessions(tmp, 3)))
        line("/health during a /feed flood", flood)
        print(f"ratios: new-session p50 {new[0]['p50'] / health[0]['p50']:.1f}x /health, "
              f"scroll p50 {scrolled[0]['p50'] / health[0]['p50']:.1f}x, "
              f"held page p50 {held['p50'] / health[0]['p50']:.1f}x, "
              f"new session with its pool held p50 {reopened['p50'] / health[0]['p50']:.1f}x, "
              f"new session of a warmed user p50 {warmed[0]['p50'] / health[0]['p50']:.1f}x, "
              f"paced scroll p50 {paced['p50'] / paced_health['p50']:.1f}x paced /health, "
              f"page=10000 p50 {forged['p50'] / new[0]['p50']:.2f}x a new session's",
              flush=True)  # fmt: skip
    finally:
        stop_server(server)
    if workers > 1:
        server, _ = start_server(url, var_dir, workers)
        try:
            for _ in range(20):  # both workers build/load their state before timing
                httpx.get(f"http://127.0.0.1:{PORT}/feed?username=u2", timeout=60)
            health = wrk("/health", 8, seconds, None)
            new = wrk("/feed", 8, seconds, new_sessions(tmp, 4))
            scrolled = wrk("/feed", 8, seconds, scroll)
            print(f"--workers {workers}: /health {health['rps']:.0f} req/s, "
                  f"new sessions {new['rps']:.0f} req/s (p99 {new['p99']:.1f} ms), "
                  f"scroll {scrolled['rps']:.0f} req/s (p99 {scrolled['p99']:.1f} ms), 8 conn",
                  flush=True)  # fmt: skip
        finally:
            stop_server(server)
    server, _ = start_server(url, var_dir)
    try:
        synced = health_during_sync(url, var_dir, tmp, seconds)
        line("/health during `videorec sync`", synced)
        print(f"sync ran {synced['sync_s']:.0f} s (exit {synced['sync_rc']:.0f}; still running "
              f"when wrk ended: {bool(synced['sync_running_at_end'])})", flush=True)  # fmt: skip
    finally:
        stop_server(server)
    if ann and model:
        found = ann_recall(url)
        print(f"ANN ({found['kind']}, efSearch {found['ef']:.0f}) recall@500 vs exact on the "
              f"model's post vectors: {found['recall']:.3f}, {found['query_ms']:.2f} ms/query "
              f"(1 thread)", flush=True)  # fmt: skip


def main() -> None:
    global PORT
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--model", action="store_true", help="train and activate a small model")
    parser.add_argument("--no-ann", action="store_true", help="skip the ANN recall measurement")
    parser.add_argument("--extras", action=argparse.BooleanOptionalAction, default=True,
                        help="--no-extras: train without the serving extras (neighbour lists, "
                        "learned weights; `[serving_extras] enabled = false`), whose tuning "
                        "takes tens of minutes from 100k posts")  # fmt: skip
    parser.add_argument("--workers", type=int, default=2, help="also run with N workers (1: no)")
    parser.add_argument("--start-only", action="store_true", help="only time start to ready")
    parser.add_argument("--workdir", type=Path, help="keep databases and models here and reuse "
                        "them on the next run (default: a temporary folder)")  # fmt: skip
    parser.add_argument("--port", type=int, default=PORT, help="the server's port")
    parser.add_argument("--distinct-texts", action="store_true", help="a title of its own per "
                        "post (default: 600 distinct texts at any size, cheap to encode; the "
                        "content source's cost follows the distinct texts: "
                        "bench/content_scale.py)")  # fmt: skip
    args = parser.parse_args()
    PORT = args.port
    with tempfile.TemporaryDirectory(prefix="videorec-bench-") as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        for n_posts in args.sizes:
            run_size(n_posts, args.seconds, work, args.model, not args.no_ann, args.workers,
                     args.start_only, args.extras, args.distinct_texts)  # fmt: skip


if __name__ == "__main__":
    main()
