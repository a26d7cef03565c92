"""The cores this process may run on (its affinity where the platform says, else the machine's)."""

from __future__ import annotations

import os


def cores() -> int:
    """This process's cores: its CPU affinity on Linux, the machine's count elsewhere (1 at
    least)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
