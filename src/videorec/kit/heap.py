"""The garbage collector in a long-lived server process. No domain words here."""

from __future__ import annotations

import gc


def freeze_heap() -> int:
    """Move every object alive now out of the cyclic collector's reach; how many are frozen.

    A serving process holds ~550,000 long-lived container objects once its app, ONNX Runtime and
    text model are loaded, and a full (generation 2) collection walks every one of them with
    the GIL held: 0.3-0.75 s in a running server on the busy 2-core box, 13-25 ms once
    frozen (bench/results/2026-11-27-feed-e.md), and every request waits meanwhile. Python
    starts one whenever the objects surviving younger collections grow by a quarter. Frozen
    objects are never walked again (reference counting still frees them); objects made later
    are collected as before. The young generations are collected first, so their garbage is
    not frozen with them.
    """
    gc.collect(1)
    gc.freeze()
    return gc.get_freeze_count()
