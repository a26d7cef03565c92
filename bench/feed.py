"""Benchmark of `GET /feed` beside `/health`: a running server driven by `wrk` from another process.

For each catalogue size it writes a synthetic SQLite database (N posts, 100k users, 5 events
each), starts `uvicorn videorec.main:app` on loopback (httptools, uvloop, no access log), warms
the feed state up, and runs wrk twice per endpoint: 1 connection (latency p50/p99) and 8
connections (requests/s). `/feed` requests pick a random known user (a new feed session, the
costliest request); `/feed scroll` opens a session and then follows its `next_cursor` to the end
(15 pages of 20), as an app does. It also reports FAISS HNSW recall@500
against exact search on clustered 64-d vectors of the same sizes.

With `--model`, a small two-tower + ranker model (1 epoch each, default widths, 1 thread) is
trained on each synthetic database with `videorec train`'s own code path and activated, so
`/feed` ranks with an active model (two-tower ANN source + ranker scoring), as in production.

    nice -n 10 python bench/feed.py --sizes 10000 100000 --seconds 8 --model
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
from sqlalchemy import insert

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from videorec.kit.db import make_engine  # noqa: E402
from videorec.storage import migrate  # noqa: E402
from videorec.storage.tables import Category, Interaction, Post, User  # noqa: E402

MOODS = [["calm", "peaceful"], ["motivational", "energetic"], ["funny", "playful"],
         ["sad", "emotional"], ["romantic"], ["curious", "thoughtful"]]  # fmt: skip
TITLES = ["sunset by the lake", "gym workout", "cat prank", "rainy goodbye", "first date",
          "how volcanoes work", "street food tour", "guitar cover"]  # fmt: skip
USERS = 100_000
EVENTS_PER_USER = 5
PORT = 18401
LUA = """
math.randomseed(7)
request = function()
  return wrk.format("GET", "/feed?username=u" .. math.random(1, %d))
end
"""
SCROLL_LUA = """
math.randomseed(11)
local cursor = nil
request = function()
  if cursor then
    return wrk.format("GET", "/feed?username=u1&cursor=" .. cursor)
  end
  return wrk.format("GET", "/feed?username=u" .. math.random(1, %d))
end
response = function(status, headers, body)
  cursor = string.match(body, '"next_cursor":"([^"]+)"')
end
"""


def populate(url: str, n_posts: int, seed: int = 1) -> None:
    """Write categories, posts, users and events (few distinct texts: encoding stays cheap)."""
    rng = np.random.default_rng(seed)
    engine = make_engine(url)
    migrate.upgrade(engine)
    base = datetime(2025, 1, 1)
    with engine.begin() as conn:
        conn.execute(insert(Category), [
            {"id": c, "name": f"cat{c}", "count": 0, "description": "", "image_url": ""}
            for c in range(1, 11)
        ])  # fmt: skip
        for start in range(0, n_posts, 50_000):
            conn.execute(insert(Post), [{
                "id": i, "category_id": int(rng.integers(1, 11)),
                "title": f"{TITLES[i % len(TITLES)]} #{i % 50}",
                "owner_username": f"creator{int(rng.integers(5000))}",
                "created_at": base + timedelta(minutes=int(rng.integers(500_000))),
                "mood_terms": MOODS[i % len(MOODS)], "view_count": int(rng.integers(1000)),
                "slug": f"p{i}", "identifier": f"i{i}",
            } for i in range(start + 1, min(start + 50_000, n_posts) + 1)])  # fmt: skip
        conn.execute(insert(User), [{"id": u, "username": f"u{u}"} for u in range(1, USERS + 1)])
        n = USERS * EVENTS_PER_USER
        users = np.repeat(np.arange(1, USERS + 1), EVENTS_PER_USER)
        posts = (rng.zipf(1.3, n) % n_posts) + 1
        kinds = np.asarray(["view", "like", "inspire"])[rng.integers(0, 3, n)]
        minutes = rng.integers(0, 500_000, n)
        conn.execute(insert(Interaction), [{
            "kind": str(k), "upstream_id": i, "user_id": int(u), "post_id": int(p),
            "occurred_at": base + timedelta(minutes=int(m)),
        } for i, (u, p, k, m) in enumerate(zip(users, posts, kinds, minutes, strict=True))
        ])  # fmt: skip
    engine.dispose()


def train_model(url: str, var_dir: Path) -> str:
    """Train a small model on the database at `url`, register and activate it; its version."""
    from videorec.settings import Settings
    from videorec.training.config import TrainConfig
    from videorec.training.service import train_and_register

    config = TrainConfig.model_validate({
        "threads": 1, "split": {"max_validation_users": 200},
        "two_tower": {"epochs": 1}, "ranker": {"epochs": 1, "max_pairs": 50_000},
    })  # fmt: skip
    engine = make_engine(url)
    try:
        result = train_and_register(Settings(database_url=url, var_dir=var_dir), engine, config,
                                    force=True)  # fmt: skip
    finally:
        engine.dispose()
    return result.version


def start_server(url: str, var_dir: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "VIDEOREC_DATABASE_URL": url,
           "VIDEOREC_VAR_DIR": str(var_dir), "VIDEOREC_LOG_LEVEL": "WARNING",
           "VIDEOREC_FEED_CONFIG": str(ROOT / "configs/serve/default.toml")}  # fmt: skip
    command = [sys.executable, "-m", "uvicorn", "videorec.main:app", "--host", "127.0.0.1",
               "--port", str(PORT), "--no-access-log", "--loop", "uvloop", "--http", "httptools",
               "--log-level", "warning"]  # fmt: skip
    server = subprocess.Popen(command, env=env, cwd=ROOT)
    for _ in range(300):
        try:
            httpx.get(f"http://127.0.0.1:{PORT}/health", timeout=1)
            return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("server did not start")


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


def ann_recall(n: int, k: int = 500, dim: int = 64, queries: int = 100) -> dict[str, float]:
    """HNSW (M=32, efSearch=512) recall@k against exact inner-product search, clustered vectors."""
    import faiss

    rng = np.random.default_rng(3)
    centres = rng.standard_normal((256, dim)).astype(np.float32)
    vecs = centres[rng.integers(0, 256, n)] + 0.6 * rng.standard_normal((n, dim)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    users = vecs[rng.integers(0, n, (queries, 5))].mean(axis=1)
    exact = np.argpartition(-(users @ vecs.T), k, axis=1)[:, :k]
    index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
    started = time.perf_counter()
    index.add(vecs)
    build = time.perf_counter() - started
    index.hnsw.efSearch = 512
    faiss.omp_set_num_threads(1)
    started = time.perf_counter()
    _, found = index.search(users, k)
    per_query = (time.perf_counter() - started) / queries * 1e3
    recall = np.mean([len(set(a) & set(b)) / k for a, b in zip(exact, found, strict=True)])
    return {"recall": float(recall), "query_ms": per_query, "build_s": build}


def run_size(n_posts: int, seconds: int, tmp: Path, model: bool = False, ann: bool = True) -> None:
    url = f"sqlite:///{tmp / f'bench-{n_posts}.db'}"
    started = time.perf_counter()
    populate(url, n_posts)
    print(f"\n== {n_posts:,} posts, {USERS:,} users, {USERS * EVENTS_PER_USER:,} events "
          f"(setup {time.perf_counter() - started:.0f} s)")  # fmt: skip
    if model:
        started = time.perf_counter()
        version = train_model(url, tmp / f"var-{n_posts}")
        print(f"model {version} trained and activated in {time.perf_counter() - started:.0f} s")
    script, scroll = tmp / "feed.lua", tmp / "scroll.lua"
    script.write_text(LUA % USERS)
    scroll.write_text(SCROLL_LUA % USERS)
    server = start_server(url, tmp / f"var-{n_posts}")
    try:
        started = time.perf_counter()
        first = httpx.get(f"http://127.0.0.1:{PORT}/feed?username=u1", timeout=900)
        first.raise_for_status()
        print(f"feed state ready {time.perf_counter() - started:.1f} s after /health answered "
              f"(model_version {first.json()['model_version']})")  # fmt: skip
        runs = (
            ("/health", "/health", None),
            ("/feed", "/feed", script),
            ("/feed scroll", "/feed", scroll),
        )
        for name, path, lua in runs:
            one, many = wrk(path, 1, seconds, lua), wrk(path, 8, seconds, lua)
            print(f"{name:12} p50 {one['p50']:6.2f} ms  p99 {one['p99']:6.2f} ms  (1 conn)  "
                  f"{many['rps']:7.0f} req/s (8 conn, p99 {many['p99']:.1f} ms)")  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=30)
    if ann and n_posts <= 200_000:  # HNSW over 1M vectors takes ~5 min to build here
        ann = ann_recall(n_posts)
        print(f"ANN HNSW M=32 efSearch=512: recall@500 {ann['recall']:.3f}, "
              f"{ann['query_ms']:.2f} ms/query (1 thread), "
              f"build {ann['build_s']:.0f} s")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--model", action="store_true", help="train and activate a small model")
    parser.add_argument("--no-ann", action="store_true", help="skip the HNSW recall measurement")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="videorec-bench-") as tmp:
        for n_posts in args.sizes:
            run_size(n_posts, args.seconds, Path(tmp), args.model, not args.no_ann)


if __name__ == "__main__":
    main()
