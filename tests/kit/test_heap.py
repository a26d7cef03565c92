"""Freezing a server's long-lived objects keeps full collections off them."""

from __future__ import annotations

import gc
import weakref

import pytest

from videorec.kit.heap import freeze_heap


def _collected(thing: object) -> bool:
    """Whether the cyclic collector walks `thing` (frozen objects are not listed)."""
    return any(o is thing for o in gc.get_objects())


@pytest.mark.usefixtures("settled_heap")
def test_objects_alive_at_the_freeze_are_out_of_the_collectors_reach() -> None:
    before = [object()]  # a list: a container the collector tracks
    try:
        frozen = freeze_heap()
        after = [object()]
        assert 0 < gc.get_freeze_count() <= frozen  # fewer once a frozen object is freed
        assert not _collected(before)
        assert _collected(after)  # objects made later are collected as before
    finally:
        gc.unfreeze()
    assert _collected(before)


class _Node:
    me: object


@pytest.mark.usefixtures("settled_heap")
def test_young_garbage_is_collected_not_frozen() -> None:
    gc.disable()  # so the cycle below is still garbage when the freeze comes
    try:
        node = _Node()
        node.me = node
        ref = weakref.ref(node)
        del node
        assert ref() is not None
        freeze_heap()
        assert ref() is None
    finally:
        gc.enable()
        gc.unfreeze()
