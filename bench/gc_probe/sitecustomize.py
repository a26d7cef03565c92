"""Bench-only: record every garbage collection of a server process (bench/feed_cpu.py).

Put this folder on PYTHONPATH and set `VIDEOREC_BENCH_GC_LOG` to a file: each collection's
(wall time at its end, generation, pause in seconds) is appended to a list, written as JSON to
that file when the process exits (uvicorn exits cleanly on SIGTERM). Not part of the product.
"""

from __future__ import annotations

import atexit
import gc
import json
import os
import time

_PATH = os.environ.get("VIDEOREC_BENCH_GC_LOG")
_events: list[tuple[float, int, float]] = []
_started = [0.0]


def _callback(phase: str, info: dict[str, int]) -> None:
    if phase == "start":
        _started[0] = time.perf_counter()
    else:
        _events.append((time.time(), info["generation"], time.perf_counter() - _started[0]))


def _dump() -> None:
    assert _PATH is not None
    with open(_PATH, "w") as out:
        json.dump(_events, out)


if _PATH:
    gc.callbacks.append(_callback)
    atexit.register(_dump)
