"""New sessions stored behind their first page's answer, in batches, by one thread.

A session opened in memory (`FeedService.open_in_memory`) is answered on the event loop; its
snapshot goes into this process's recent sessions at once (scroll pages here read it from
there) and into the store (database or Redis) from here, a few milliseconds later, many
sessions to one transaction. Until then:

- a request of this process for a page of it that must be computed (a compare-and-set on the
  stored row) waits for the write (`wait`), as do a `page=K` request for its feed and a refill
  of its pages (on the event loop, before it takes the refill thread);
- another process that gets one of its first cursors finds no stored session and reads again
  for up to `WRITTEN_WAIT_S` (`serving/feed.py`).

Bounded: past `MAX_PENDING` unwritten sessions (more new sessions a second than the store
takes, or a store that stalls: SQLite held by a long write) `accepting` is False; a new session
then waits on the event loop for room (`room`, up to `ROOM_WAIT_S`; the waiters go on
together, so the queue may pass the bound by a few) rather than being stored
before its answer beside the writer, which on SQLite made the two wait on each other's lock
(SQLite's busy handler sleeps up to 100 ms at a time: an 8-connection p99 of 0.8-1 s), and only
past that wait is stored before its answer as before. A
failed write is logged and its sessions are dropped from memory, so their cursors say
"expired" instead of serving pages no store holds. Shutdown writes what is queued.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import anyio
import structlog

from videorec.kit.time import utc_now
from videorec.serving.sessions import NewSession, RecentSessions, Snapshot

log = structlog.get_logger(__name__)
MAX_PENDING = 256
"""Sessions waiting for their write, past which new sessions are stored before their answer."""
BATCH = 256
"""Sessions written in one transaction at most."""
WAIT_S = 5.0
"""How long a request waits for its session's write before computing without it."""
ROOM_WAIT_S = 1.0
"""How long a new session waits for room in the queue before it is stored before its answer."""


@dataclass(frozen=True)
class PendingSession:
    session_id: str
    key: str
    snapshot: Snapshot
    ttl_s: int
    opened_at: datetime = field(default_factory=utc_now)
    written: threading.Event = field(default_factory=threading.Event)

    def new(self) -> NewSession:
        """As the store takes it (created when it was opened, not when written)."""
        return NewSession(self.session_id, self.key, self.snapshot, self.ttl_s, self.opened_at)


WriteBatch = Callable[[list[PendingSession]], None]
"""Stores the sessions of a batch in one transaction (raises when nothing was stored)."""


class SessionWrites:
    """The process's queue of new sessions to store, and the thread that stores them.

    Args:
        write: stores a batch (`WriteBatch`).
        recent: this process's recent sessions, where a session is held until written.
    """

    def __init__(
        self, write: WriteBatch, recent: RecentSessions, max_pending: int = MAX_PENDING
    ) -> None:
        self.write = write
        self.recent = recent
        self.max_pending = max_pending
        self._pending: dict[str, PendingSession] = {}
        self._by_key: dict[str, PendingSession] = {}
        self._lock = threading.Lock()
        self._queue: queue.Queue[PendingSession | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="session-writes", daemon=True)
        self._thread.start()
        self.written = 0
        """Sessions stored since the process began."""

    @property
    def accepting(self) -> bool:
        """Whether a new session may be left to this queue (else store it before answering)."""
        return len(self._pending) < self.max_pending and self._thread.is_alive()

    async def room(self) -> bool:
        """Wait (on the event loop, without blocking it) until `accepting`, for at most
        `ROOM_WAIT_S`; whether there is room (False at once when the writer is gone)."""
        deadline = time.monotonic() + ROOM_WAIT_S
        while not self.accepting:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                return False
            await anyio.sleep(0.005)
        return True

    def create(self, session_id: str, key: str, snapshot: Snapshot, ttl_s: int) -> None:
        """Hold the session in memory now and store it behind the answer."""
        pending = PendingSession(session_id, key, snapshot, ttl_s)
        self.recent.put(session_id, 0, snapshot, time.monotonic() + ttl_s)
        with self._lock:
            self._pending[session_id] = pending
            self._by_key[key] = pending
        self._queue.put(pending)

    async def wait(self, session_id: str | None, key: str | None = None) -> None:
        """Wait (off the event loop) until the session, or the newest pending session of a
        feed `key`, is stored, for at most `WAIT_S`; at once when none is pending."""
        pending = self._find(session_id, key)
        if pending is not None and not pending.written.is_set():
            await anyio.to_thread.run_sync(pending.written.wait, WAIT_S)

    def _find(self, session_id: str | None, key: str | None) -> PendingSession | None:
        with self._lock:
            pending = self._pending.get(session_id) if session_id is not None else None
            if pending is None and key is not None:
                pending = self._by_key.get(key)
            return pending

    def close(self) -> None:
        """Store what is queued, then stop the thread (at shutdown, before the engine goes)."""
        self.max_pending = 0
        self._queue.put(None)
        self._thread.join(timeout=30)

    def pending(self) -> int:
        """Sessions not stored yet."""
        return len(self._pending)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            batch = [first] if first is not None else []
            while len(batch) < BATCH and first is not None:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    first = None
                else:
                    batch.append(more)
            if batch:
                self._store(batch)
            if first is None:
                return

    def _store(self, batch: list[PendingSession]) -> None:
        try:
            self.write(batch)
        except Exception as exc:  # its sessions cannot be scrolled: say "expired", not stale
            log.warning("session_writes_failed", sessions=len(batch),
                        error=f"{type(exc).__name__}: {exc}")  # fmt: skip
            for pending in batch:
                self.recent.drop(pending.session_id)
        else:
            self.written += len(batch)
        with self._lock:
            for pending in batch:
                self._pending.pop(pending.session_id, None)
                if self._by_key.get(pending.key) is pending:
                    del self._by_key[pending.key]
        for pending in batch:
            pending.written.set()
