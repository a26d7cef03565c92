"""Server CPU time per `/feed` new session, and GC pauses, for several source trees interleaved.

A busy box moves wall-clock latencies by 3-5x between runs minutes apart, so two trees are
compared here by what load moves far less: the uvicorn process's user + sys time (from
`/proc/PID/stat`) over a wrk run, divided by the requests it served. Each round starts every
tree's server in turn (the order alternates between rounds) on a fresh copy of the same
database (`bench/feed.py --workdir` made it: `bench-N.db` and `var-N/` with the model), then:

- `/health`, 1 connection: p50 / p99 (the reference);
- new sessions (a random known user per request, as in `bench/feed.py`), 1 connection: p50 /
  p99 / p99.9, server CPU ms per request, and every garbage collection during that window by
  generation (count, longest and summed pause), recorded in the server by
  `bench/gc_probe/sitecustomize.py` (written on SIGUSR1); and the full (generation 2)
  collections from ready to the end of that window (the warm-ups, `/health` and new sessions);
  then the pause of one full collection forced in the server (SIGUSR2 to the probe): what
  Python's own next full collection would cost it.

    nice -n 10 python bench/feed_cpu.py --workdir /work/bench23 --size 10000 \\
        --tree base=/work/main --tree head=. --rounds 2 --seconds 8
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
PROBE = ROOT / "bench" / "gc_probe"
USERS = 100_000
DONE = """
done = function(summary, latency, requests)
  for _, p in pairs({50, 99, 99.9}) do
    io.write(string.format("P%g %d\\n", p, latency:percentile(p)))
  end
end
"""
NEW_SESSION = """
math.randomseed(7)
request = function()
  return wrk.format("GET", "/feed?username=u" .. math.random(1, USERS))
end
"""
LUA = DONE + NEW_SESSION
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + sys CPU seconds of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def start(tree: Path, url: str, var_dir: Path, port: int, gc_log: Path) -> subprocess.Popen[bytes]:
    """uvicorn serving `tree`'s code; returns once `/ready` and the text model are ready."""
    env = {**os.environ, "PYTHONPATH": f"{tree / 'src'}:{PROBE}", "VIDEOREC_DATABASE_URL": url,
           "VIDEOREC_VAR_DIR": str(var_dir), "VIDEOREC_LOG_LEVEL": "WARNING",
           "VIDEOREC_FEED_CONFIG": str(tree / "configs/serve/default.toml"),
           "VIDEOREC_BENCH_GC_LOG": str(gc_log)}  # fmt: skip
    command = [sys.executable, "-m", "uvicorn", "videorec.main:app", "--host", "127.0.0.1",
               "--port", str(port), "--no-access-log", "--loop", "uvloop", "--http", "httptools",
               "--log-level", "warning"]  # fmt: skip
    server = subprocess.Popen(command, env=env, cwd=tree)
    started = time.perf_counter()
    while time.perf_counter() - started < 600:
        try:
            answer = httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2)
            if answer.status_code == 200 and answer.json()["checks"].get("text_model") in (
                "ready", "failed", None):  # fmt: skip
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    server.kill()
    raise RuntimeError("server did not become ready")


def wrk(port: int, path: str, seconds: int, script: Path) -> dict[str, float]:
    """wrk with 1 connection: p50 / p99 / p99.9 in ms and the number of requests."""
    command = ["wrk", "-t", "1", "-c", "1", "-d", f"{seconds}s", "-s", str(script),
               f"http://127.0.0.1:{port}{path}"]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    done = re.search(r"(\d+) requests in", out)
    assert done is not None, out
    figures = {"requests": float(done.group(1))}
    for label, key in (("P50", "p50"), ("P99", "p99"), ("P99.9", "p999")):
        found = re.search(rf"^{re.escape(label)} (\d+)$", out, re.MULTILINE)
        assert found is not None, out
        figures[key] = int(found.group(1)) / 1e3  # wrk's latencies are in microseconds
    return figures


def gc_summary(events: list[list[float]], since: float, until: float) -> str:
    """Collections in [since, until] by generation: count, longest and summed pause (ms)."""
    parts = []
    for generation in (0, 1, 2):
        pauses = [e[2] * 1e3 for e in events if since <= e[0] <= until and e[1] == generation]
        if pauses:
            parts.append(f"gen{generation} {len(pauses)}x max {max(pauses):.2f} "
                         f"sum {sum(pauses):.1f} ms")  # fmt: skip
        else:
            parts.append(f"gen{generation} 0x")
    return ", ".join(parts)


def measure(name: str, tree: Path, args: argparse.Namespace, tmp: Path, script: Path) -> None:
    db = tmp / "bench.db"
    shutil.copyfile(args.workdir / f"bench-{args.size}.db", db)
    gc_log = tmp / f"gc-{name}.json"
    var_dir = args.workdir / f"var-{args.size}"
    server = start(tree, f"sqlite:///{db}", var_dir, args.port, gc_log)
    ready = time.time()
    try:
        for _ in range(20):
            httpx.get(f"http://127.0.0.1:{args.port}/feed?username=u2", timeout=60)
        health = wrk(args.port, "/health", args.seconds, tmp / "health.lua")
        before, since = cpu_seconds(server.pid), time.time()
        new = wrk(args.port, "/feed", args.seconds, script)
        cpu, until = cpu_seconds(server.pid) - before, time.time()
        load = os.getloadavg()[0]
        forced = time.time()
        server.send_signal(signal.SIGUSR2)  # the probe runs one full collection
        time.sleep(3.0)
        server.send_signal(signal.SIGUSR1)  # the probe writes its record
        time.sleep(1.0)
    finally:
        server.terminate()
        server.wait(timeout=60)
    events = json.loads(gc_log.read_text()) if gc_log.exists() else []
    print(f"{name:8} /health p50 {health['p50']:.3f} p99 {health['p99']:.2f} ms | new session "
          f"p50 {new['p50']:.2f} p99 {new['p99']:.2f} p99.9 {new['p999']:.2f} ms, "
          f"{new['requests'] / args.seconds:.0f} req/s, CPU {cpu / new['requests'] * 1e3:.2f} "
          f"ms/req, {repeats(new['requests'], args.users):.0%} repeat users | "
          f"{gc_summary(events, since, until)} | since ready: "
          f"{gc_summary(events, ready, until).split(', ')[2]} | a forced full collection after: "
          f"{gc_summary(events, forced, time.time()).split(', ')[2]} | load {load:.1f}",
          flush=True)  # fmt: skip


def repeats(requests: float, users: int) -> float:
    """The expected share of `requests` random draws among `users` that draw a user drawn
    before in the same run (a user's second new session, or later)."""
    distinct = users * (1 - (1 - 1 / users) ** requests)
    return 1 - distinct / max(requests, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, required=True, help="bench/feed.py's --workdir")
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--tree", action="append", required=True, help="NAME=PATH, repeatable")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--port", type=int, default=18431)
    parser.add_argument("--users", type=int, default=USERS, help="draw users from u1..uN: "
                        "fewer than the requests of a run come back to open new sessions again "
                        "(what `serving/ranked_pools.py` answers from memory)")  # fmt: skip
    args = parser.parse_args()
    trees = [(n, Path(p).resolve()) for n, p in (t.split("=", 1) for t in args.tree)]
    with tempfile.TemporaryDirectory(prefix="feed-cpu-") as folder:
        tmp = Path(folder)
        script = tmp / "new.lua"
        script.write_text(LUA.replace("USERS", str(args.users)))
        (tmp / "health.lua").write_text(DONE)
        for r in range(args.rounds):
            print(f"-- round {r}", flush=True)
            for name, tree in trees if r % 2 == 0 else trees[::-1]:
                measure(name, tree, args, tmp, script)


if __name__ == "__main__":
    main()
