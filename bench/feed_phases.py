"""Where a `/feed` new session's time goes, phase by phase, and what its slowest 1 % spend on.

Starts the app in this process as the server does (its lifespan: the feed state from the
snapshot `bench/feed.py --workdir` left, the model, the heap freeze), then computes N new
sessions one after the other exactly as the route's worker thread does (`routes.feed._page`:
database session, context, every source, ranking, page pick, session write, commit,
presentation), for random known users (seeded, as `bench/feed.py`'s wrk script), each phase
timed by a wrapper, and every garbage collection during a request charged to it. No event
loop, no HTTP: what is left of wrk's latency is the server's.

Prints each phase's p50 / p99 / mean, and its mean over the slowest 1 % of requests against
the median request's, so the phases that make the tail stand out; and the minor page faults of
each request (first touches of memory-mapped arrays and of fresh allocations), as a count.

    nice -n 5 python bench/feed_phases.py --workdir /work/bench1m --size 1000000 --requests 3000
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

USERS = 100_000
_times: dict[str, float] = defaultdict(float)
_gc_started = [0.0]


def timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """`function`, adding its wall time to phase `name` of the current request."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            _times[name] += time.perf_counter() - started

    return wrapper


def _gc(phase: str, info: dict[str, int]) -> None:
    if phase == "start":
        _gc_started[0] = time.perf_counter()
    else:
        _times[f"gc gen{info['generation']}"] += time.perf_counter() - _gc_started[0]


def instrument(app: Any) -> None:
    """Wrap the phases of a new session's page (module functions, methods, the sources)."""
    from videorec.api.post_cache import PresentedPosts
    from videorec.api.routes import feed as route
    from videorec.serving import feed as serving
    from videorec.serving.sessions import CachedSessionStore

    service = app.state.feed
    serving.build_context = timed("context (user, history)", serving.build_context)
    serving.rank = timed("rank (gather + order)", serving.rank)
    serving.FeedService._extend = timed("page pick (_extend)", serving.FeedService._extend)
    CachedSessionStore.create = timed("session write", CachedSessionStore.create)
    route._commit = timed("commit", route._commit)
    PresentedPosts.get_many_encoded = timed("presentation", PresentedPosts.get_many_encoded)
    route.encode_body = timed("body", route.encode_body)
    for source in service.sources:
        source.fetch = timed(f"source {source.name}", source.fetch)
    model = service.registry.current.model
    if model is not None:
        model.retrieve = timed("  of which ANN retrieve", model.retrieve)
        model.score = timed("  of which model score", model.score)
    gc.callbacks.append(_gc)


def wait_ready(client: Any) -> None:
    for _ in range(9000):
        answer = client.get("/ready")
        if answer.status_code == 200 and answer.json()["checks"].get("text_model") in (
            "ready", "failed", None):  # fmt: skip
            return
        time.sleep(0.1)
    raise RuntimeError("the feed never became ready")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, required=True, help="bench/feed.py's --workdir")
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--warm", type=int, default=200, help="untimed requests first")
    parser.add_argument("--var-dir", type=Path, help="default: the workdir's (models, snapshots)")
    args = parser.parse_args()
    var_dir = args.var_dir or args.workdir / f"var-{args.size}"
    database = args.workdir / f"bench-{args.size}.db"
    config = ROOT / "configs/serve/default.toml"
    os.environ.update({"VIDEOREC_DATABASE_URL": f"sqlite:///{database}",
                       "VIDEOREC_VAR_DIR": str(var_dir), "VIDEOREC_LOG_LEVEL": "WARNING",
                       "VIDEOREC_FEED_CONFIG": str(config)})  # fmt: skip
    from starlette.testclient import TestClient

    from videorec.api.app import create_app
    from videorec.api.routes import feed as route
    from videorec.serving.context import FeedRequest

    app = create_app()
    with TestClient(app) as client:
        wait_ready(client)
        instrument(app)
        http = SimpleNamespace(app=app)
        service, presented = app.state.feed, app.state.presented
        rng = np.random.default_rng(7)
        rows: list[dict[str, float]] = []
        for i in range(args.warm + args.requests):
            _times.clear()
            request = FeedRequest(f"u{int(rng.integers(1, USERS + 1))}")
            faults = resource.getrusage(resource.RUSAGE_THREAD).ru_minflt
            started = time.perf_counter()
            route._page(http, service, presented, request)
            total = time.perf_counter() - started
            faults = resource.getrusage(resource.RUSAGE_THREAD).ru_minflt - faults
            if i >= args.warm:
                rows.append({**_times, "total": total, "page faults (count)": faults / 1000})
        report(rows)


def report(rows: list[dict[str, float]]) -> None:
    names = ["total", *sorted({k for r in rows for k in r} - {"total"})]
    table = {n: np.asarray([r.get(n, 0.0) for r in rows]) * 1000 for n in names}
    total = table["total"]
    slow = total >= np.percentile(total, 99)
    middle = np.abs(total - np.median(total)) <= np.percentile(np.abs(total - np.median(total)), 10)
    accounted = sum(
        v
        for n, v in table.items()
        if n != "total" and not n.startswith(("  ", "gc", "page faults"))
    )
    table["other (session, state, glue)"] = total - accounted
    print(f"{len(rows)} new sessions, one at a time; ms (load {os.getloadavg()[0]:.1f})")
    print(f"{'phase':34} {'p50':>7} {'p99':>7} {'mean':>7} {'mid 10%':>8} {'slow 1%':>8}")
    for name, values in table.items():
        print(f"{name:34} {np.median(values):7.3f} {np.percentile(values, 99):7.3f} "
              f"{values.mean():7.3f} {values[middle].mean():8.3f} "
              f"{values[slow].mean():8.3f}")  # fmt: skip
    collected = sum(any(n.startswith("gc") for n in r) for r in rows)
    print(
        f"total p99.9 {np.percentile(total, 99.9):.2f} ms, max {total.max():.2f} ms; "
        f"requests with a collection: {collected}"
    )


if __name__ == "__main__":
    main()
