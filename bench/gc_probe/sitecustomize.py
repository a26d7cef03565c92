"""Bench-only: record every garbage collection of a server process (bench/feed_cpu.py).

Put this folder on PYTHONPATH and set `VIDEOREC_BENCH_GC_LOG` to a file: each collection's
(wall time at its end, generation, pause in seconds) is appended to a list, written as JSON to
that file on SIGUSR1 (uvicorn re-raises SIGTERM after its shutdown, so exit hooks never run).
SIGUSR2 runs one full collection (`gc.collect()`), recorded like the others: what a full
collection costs in the serving process as it is.
Not part of the product.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import time
from typing import Any

_PATH = os.environ.get("VIDEOREC_BENCH_GC_LOG")
_events: list[tuple[float, int, float]] = []
_started = [0.0]


def _callback(phase: str, info: dict[str, int]) -> None:
    if phase == "start":
        _started[0] = time.perf_counter()
    else:
        _events.append((time.time(), info["generation"], time.perf_counter() - _started[0]))


def _dump(*_: Any) -> None:
    assert _PATH is not None
    with open(_PATH, "w") as out:
        json.dump(_events, out)


if _PATH:
    gc.callbacks.append(_callback)
    signal.signal(signal.SIGUSR1, _dump)
    signal.signal(signal.SIGUSR2, lambda *_: gc.collect())
