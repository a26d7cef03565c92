"""`SessionWrites`: new sessions held in memory at once and stored behind, in batches."""

from __future__ import annotations

import threading
import time

import anyio
import pytest

from videorec.api import session_writes
from videorec.api.session_writes import PendingSession, SessionWrites
from videorec.serving.sessions import RecentSessions


def _settle(writes: SessionWrites) -> None:
    deadline = time.monotonic() + 30
    while writes.pending() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert writes.pending() == 0


def test_sessions_queued_while_a_write_runs_go_in_one_batch() -> None:
    started, gate, batches = threading.Event(), threading.Event(), []

    def write(batch: list[PendingSession]) -> None:
        started.set()
        gate.wait(30)
        batches.append([p.session_id for p in batch])

    recent = RecentSessions()
    writes = SessionWrites(write, recent)
    for i in range(5):
        writes.create(f"s{i}", f"k{i}", {"ids": [i]}, 60)
        assert recent.get(f"s{i}") == (0, {"ids": [i]})  # held before it is stored
        assert started.wait(30)  # s0's write has begun: the rest queue behind it
    gate.set()
    _settle(writes)
    writes.close()
    assert [s for batch in batches for s in batch] == [f"s{i}" for i in range(5)]
    assert len(batches) == 2  # the first alone (taken as it came), the other four together
    assert writes.written == 5


def test_a_failed_write_drops_its_sessions_and_releases_their_waiters() -> None:
    def write(batch: list[PendingSession]) -> None:
        raise OSError("disk full")

    recent = RecentSessions()
    writes = SessionWrites(write, recent)
    writes.create("s1", "k1", {"ids": [1]}, 60)
    anyio.run(writes.wait, "s1")
    _settle(writes)
    assert recent.get("s1") is None  # its cursor says "expired" instead of unstored pages
    assert writes.written == 0
    writes.close()


def test_past_max_pending_new_sessions_are_stored_before_their_answer() -> None:
    gate = threading.Event()
    writes = SessionWrites(lambda batch: gate.wait(30), RecentSessions(), max_pending=2)
    writes.create("s1", "k1", {}, 60)
    assert writes.accepting
    writes.create("s2", "k2", {}, 60)
    assert not writes.accepting
    gate.set()
    _settle(writes)
    assert writes.accepting
    writes.close()


@pytest.mark.parametrize("by", ["session", "key"])
def test_a_wait_returns_once_the_session_is_stored(by: str) -> None:
    gate, stored = threading.Event(), []
    writes = SessionWrites(lambda batch: (gate.wait(30), stored.extend(batch)), RecentSessions())
    writes.create("s1", "feed-key", {}, 60)
    threading.Timer(0.2, gate.set).start()
    if by == "session":
        anyio.run(writes.wait, "s1")
    else:
        anyio.run(writes.wait, None, "feed-key")
    assert [p.session_id for p in stored] == ["s1"]
    writes.close()


def test_close_stores_what_is_queued() -> None:
    stored: list[str] = []
    writes = SessionWrites(lambda batch: stored.extend(p.session_id for p in batch),
                           RecentSessions())  # fmt: skip
    for i in range(3):
        writes.create(f"s{i}", "k", {}, 60)
    writes.close()
    assert stored == ["s0", "s1", "s2"]
    assert not writes.accepting


def test_a_new_session_waits_for_room_rather_than_being_written_beside_the_writer(
    monkeypatch,
) -> None:
    monkeypatch.setattr(session_writes, "ROOM_WAIT_S", 60.0)  # a starved box: no flake
    gate = threading.Event()
    writes = SessionWrites(lambda batch: gate.wait(30), RecentSessions(), max_pending=1)
    writes.create("s1", "k1", {}, 60)
    assert not writes.accepting
    threading.Timer(0.1, gate.set).start()
    assert anyio.run(writes.room)  # room once the write is done
    writes.close()


def test_no_room_is_waited_for_once_the_writer_is_gone(monkeypatch) -> None:
    monkeypatch.setattr(session_writes, "ROOM_WAIT_S", 60.0)
    writes = SessionWrites(lambda batch: None, RecentSessions(), max_pending=1)
    writes.close()
    started = time.monotonic()
    assert not anyio.run(writes.room)
    assert time.monotonic() - started < 30  # at once, not after ROOM_WAIT_S
