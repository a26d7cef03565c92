"""CPU per new-session `/feed` page in-process (no HTTP), several source trees run side by side.

`bench/feed_cpu.py` compares trees through a real server, one tree at a time; on a box whose load
swings between its windows that comparison drifts. Here every tree runs at the same time, each
in its own process on its own copy of the database: the app is started (`TestClient`, so the
feed state, the model and the text model load as in a server), the presented-post cache is
warmed with `--warm` new sessions, then each round times `--requests` new sessions (random
known users, as `bench/feed.py`) through the route's worker-thread function `_page`, as the
process's CPU time (all threads) per page, once `/ready` says the text model is loaded (its
loading thread would count). Rounds of the trees overlap in time, so load moves them together;
compare the trees round by round.

    nice -n 10 python bench/page_cpu.py --workdir /tmp/work --size 10000 \\
        --tree base=/path/to/base --tree head=. --rounds 8
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

USERS = 100_000


def run_tree(args: argparse.Namespace) -> None:
    """In the child process: start the app from this tree and print CPU ms per page a round."""
    from fastapi.testclient import TestClient

    from videorec.api.app import create_app
    from videorec.api.routes.feed import _page
    from videorec.serving.context import FeedRequest

    app = create_app()
    with TestClient(app) as client:
        client.get("/feed?username=u2")  # waits for the feed state
        while client.get("/ready").json()["checks"].get("text_model") not in ("ready", "failed",
                                                                              None):  # fmt: skip
            time.sleep(0.5)  # its loading thread would count in the first rounds' CPU
        http = SimpleNamespace(app=app)
        service, presented = app.state.feed, app.state.presented
        rng = random.Random(7)
        for _ in range(args.warm):
            _page(http, service, presented, FeedRequest(f"u{rng.randint(1, USERS)}"))
        for r in range(args.rounds):
            started = time.process_time()
            for _ in range(args.requests):
                _page(http, service, presented, FeedRequest(f"u{rng.randint(1, USERS)}"))
            cpu = (time.process_time() - started) / args.requests * 1e3
            print(f"round {r} {cpu:.3f} ms load {os.getloadavg()[0]:.1f}", flush=True)


def _var_copy(var: Path, folder: str, name: str) -> Path:
    """A copy of the workdir's var folder (its model and snapshots) for one tree: the trees run
    at the same time, and their feed-state snapshot writes must not race."""
    copy = Path(folder) / f"var-{name}"
    if var.is_dir():
        shutil.copytree(var, copy)
    return copy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, required=True, help="bench/feed.py's --workdir")
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--tree", action="append", required=True, help="NAME=PATH, repeatable")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--requests", type=int, default=150)
    parser.add_argument("--warm", type=int, default=600)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_tree(args)
        return
    trees = [(n, Path(p).resolve()) for n, p in (t.split("=", 1) for t in args.tree)]
    with tempfile.TemporaryDirectory(prefix="page-cpu-") as folder:
        children = {}
        for name, tree in trees:
            db = Path(folder) / f"{name}.db"
            shutil.copyfile(args.workdir / f"bench-{args.size}.db", db)
            var = _var_copy(args.workdir / f"var-{args.size}", folder, name)
            env = {**os.environ, "PYTHONPATH": str(tree / "src"),
                   "VIDEOREC_DATABASE_URL": f"sqlite:///{db}",
                   "VIDEOREC_VAR_DIR": str(var),
                   "VIDEOREC_FEED_CONFIG": str(tree / "configs/serve/default.toml"),
                   "VIDEOREC_LOG_LEVEL": "WARNING"}  # fmt: skip
            command = [sys.executable, __file__, *sys.argv[1:], "--child"]
            children[name] = subprocess.Popen(command, env=env, cwd=tree, text=True,
                                              stdout=subprocess.PIPE)  # fmt: skip
        outputs = {name: child.communicate()[0].split("\n") for name, child in children.items()}
    rows = {name: [line for line in lines if line.startswith("round")]
            for name, lines in outputs.items()}  # fmt: skip
    for name, lines in rows.items():
        print(name, " | ".join(lines))
    base = next(iter(rows))
    for name in list(rows)[1:]:  # round r of one tree against round r of the base
        ratios = [float(a.split()[2]) / float(b.split()[2])
                  for a, b in zip(rows[name], rows[base], strict=False)]  # fmt: skip
        print(f"{name} / {base} per round: " + " ".join(f"{x:.3f}" for x in ratios))


if __name__ == "__main__":
    main()
