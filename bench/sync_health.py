"""`/health` latency while `videorec sync` writes the server's SQLite database: is it the event
loop or the CPU?

A server (`bench/feed.py`'s: uvicorn, uvloop, one worker, SQLite in WAL mode, no model) on a
synthetic catalogue, started for each window on a fresh copy of the same database (so every
sync writes the same new rows: a first sync into a database inserts, a second one only
re-reads, which is far lighter); per round, `/health` with 1 connection for `--seconds`:

- alone;
- during a `videorec sync --full` at `VIDEOREC_SYNC_NICE=0` (the sync at the server's priority);
- during the same sync at the default `VIDEOREC_SYNC_NICE` (10: the sync lowers its priority);
- during a pure CPU burner (one Python busy loop at the server's priority, no I/O, no
  database): if `/health` suffers as much from it as from the sync, the cause is CPU
  contention, not the sync's database writes.

    nice -n 10 python bench/sync_health.py --posts 10000 --rounds 3 --workdir DIR
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

import bench.feed  # noqa: E402
from bench.feed import (  # noqa: E402
    EVENTS_PER_USER,
    USERS,
    health_during_sync,
    start_server,
    stop_server,
    wrk,
    wrk_during,
)
from bench.synthetic import populate  # noqa: E402

from videorec.settings import Settings  # noqa: E402

BURNER = [sys.executable, "-c", "while True: pass"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workdir", type=Path, help="keep (and reuse) the database here")
    parser.add_argument("--port", type=int, default=bench.feed.PORT, help="the server's port")
    args = parser.parse_args()
    bench.feed.PORT = args.port
    with tempfile.TemporaryDirectory(prefix="videorec-sync-") as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        db = work / f"bench-{args.posts}.db"
        url, var_dir = f"sqlite:///{db}", work / f"var-{args.posts}"
        if not db.exists():
            populate(url, args.posts, USERS, EVENTS_PER_USER)
        default = Settings().sync_nice
        print(f"{args.posts:,} posts; /health with 1 connection, {args.seconds} s a window; "
              f"the sync's default VIDEOREC_SYNC_NICE is {default}", flush=True)  # fmt: skip
        run_db = work / "run.db"
        run_url = f"sqlite:///{run_db}"

        def window(measure: Callable[[], dict[str, float]]) -> dict[str, float]:
            for stale in work.glob("run.db*"):
                stale.unlink()
            shutil.copyfile(db, run_db)
            server, _ = start_server(run_url, var_dir)
            try:
                return measure()
            finally:
                stop_server(server)

        for round_ in range(args.rounds):
            rows = {
                "alone": window(lambda: wrk("/health", 1, args.seconds, None)),
                "sync, SYNC_NICE=0": window(
                    lambda: health_during_sync(run_url, var_dir, work, args.seconds, 0)
                ),
                f"sync, SYNC_NICE={default}": window(
                    lambda: health_during_sync(run_url, var_dir, work, args.seconds, default)
                ),
                "CPU burner": window(lambda: wrk_during("/health", args.seconds, None, BURNER)),
            }
            load = Path("/proc/loadavg").read_text().split()[:3]
            for name, f in rows.items():
                sync = f" (sync {f['sync_s']:.0f} s)" if "sync_s" in f else ""
                print(f"round {round_} {name:20} p50 {f['p50']:6.2f} ms  p99 {f['p99']:6.2f} "
                      f"ms{sync}", flush=True)  # fmt: skip
            print(f"round {round_} load {' '.join(load)} at {time.strftime('%H:%M:%S')}",
                  flush=True)  # fmt: skip
        subprocess.run(["uptime"], check=False)


if __name__ == "__main__":
    main()
