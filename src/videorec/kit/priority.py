"""Lower this process's CPU priority: what `videorec sync` does so a server beside it keeps its
latency (`Settings.sync_nice`)."""

from __future__ import annotations

import os


def lower_priority(by: int) -> int:
    """Add `by` (0-19) to this process's niceness, where the platform has `os.nice`; the
    niceness after (unchanged, and 0 where there is no `os.nice`, when `by` is 0 or the OS
    refuses). Niceness only matters when processes compete for a core: alone, a niced process
    runs at full speed."""
    nice = getattr(os, "nice", None)
    if nice is None:  # Windows
        return 0
    try:
        return int(nice(by) if by > 0 else nice(0))
    except OSError:
        return int(nice(0))
