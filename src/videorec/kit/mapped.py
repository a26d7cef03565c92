"""Arrays memory-mapped from `.npy` files, as plain arrays. No domain words here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def load_mapped(path: Path) -> np.ndarray[Any, Any]:
    """The array in `path`, memory-mapped read-only, as a plain `ndarray` view of the map.

    `np.memmap` (what `np.load(mmap_mode=...)` returns) runs Python-level `__getitem__` and
    `__array_finalize__` on every index into it: ~8 % of a new `/feed` session's CPU went there,
    across the catalogue, popularity and model arrays a request indexes a few dozen times. The
    view reads the same mapped pages (nothing is copied) and keeps the map open.
    """
    return np.asarray(np.load(path, mmap_mode="r", allow_pickle=False))
