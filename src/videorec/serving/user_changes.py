"""Which users had events since a moment, known in memory: what lets a held pool open a session.

A new session's ranked pool depends on the user's history (`serving/ranked_pools.py`). Reading
the history is a database round trip on every new session; `UserChanges` says instead whether
a user's history may have changed since a stamp, so a pool ranked at that stamp can be served
without reading it (`FeedService.open_in_memory`). A user is marked changed:

- by `touch`, when this process commits events (`POST /events`, after its commit);
- by `poll`, which reads the events stored since the last poll (any process: `videorec sync`,
  another worker), every `user_changes_poll_s` from a background thread (`UserChangesPoller`).

So a held pool misses an event written by another process for at most one poll interval
(plus the poll's own time); an event posted to this process counts from its answer on. Marks
are conservative: a user marked by mistake only has their pool ranked again.

Event ids need not commit in order (PostgreSQL hands out sequence values before commit): a poll
re-reads the last `POLL_SLACK` ids below the largest it saw, and marks only ids it has not seen.
An event committed later than `POLL_SLACK` newer ones is caught by the next feed state (a new
state drops every held pool).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterable

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from videorec.storage.repositories.feed import EVENTS

log = structlog.get_logger(__name__)
POLL_SLACK = 1000
"""Event ids below the largest seen that a poll reads again (ids committed out of order)."""
POLL_BATCH = 100_000
"""Events one poll reads at most (a long sync: the next poll goes on from there)."""


class UserChanges:
    """Stamps and per-user change marks; thread-safe.

    A stamp is a counter, not a time: `stamp()` before reading a user's history, and
    `changed_since(user, stamp)` is True once any mark of that user came after it.
    """

    def __init__(self) -> None:
        self._ticks = itertools.count(1)
        self._now = 0
        self._marks: dict[int, int] = {}
        self._lock = threading.Lock()
        self._last_id: int | None = None
        self._seen: set[int] = set()
        self._trusted_from: int | None = None
        self._polled_at = float("-inf")
        self.polled = 0
        """Polls done (a poll that failed is not counted)."""

    def stamp(self) -> int:
        """A stamp to hold beside what is read from now on."""
        with self._lock:
            self._now = next(self._ticks)
            return self._now

    def touch(self, user_ids: Iterable[int]) -> None:
        """Mark `user_ids` changed now (after their events are committed)."""
        with self._lock:
            tick = next(self._ticks)
            for user_id in user_ids:
                self._marks[int(user_id)] = tick

    def changed_since(self, user_id: int, stamp: int) -> bool:
        """Whether `user_id` may have had events after `stamp` was taken: marked since, or
        `stamp` is older than the first poll (before it, nothing was watched)."""
        trusted = self._trusted_from
        return trusted is None or stamp < trusted or self._marks.get(user_id, 0) > stamp

    def watching(self, max_age_s: float) -> bool:
        """Whether a poll succeeded within `max_age_s` (else marks may be missing: the
        database is unreachable, and held pools must not be trusted)."""
        return time.monotonic() - self._polled_at <= max_age_s

    def poll(self, db: Session) -> int:
        """Mark the users of the events stored since the last poll; how many events were new.

        The first poll notes where the log ends (the last `POLL_SLACK` ids as seen) and marks
        nobody; stamps taken before it are never trusted (`changed_since`).
        """
        new: list[tuple[int, int]] = []
        if self._last_id is None:
            recent = db.scalars(select(EVENTS.c.id).order_by(EVENTS.c.id.desc()).limit(POLL_SLACK))
            self._seen = {int(i) for i in recent}
            self._last_id = max(self._seen, default=0)
            self._trusted_from = self.stamp()
        else:
            since = max(self._last_id - POLL_SLACK, 0)
            rows = db.execute(
                select(EVENTS.c.id, EVENTS.c.user_id)
                .where(EVENTS.c.id > since)
                .order_by(EVENTS.c.id)
                .limit(POLL_BATCH)
            ).all()
            new = [(int(i), int(u)) for i, u in rows if int(i) not in self._seen]
            if new:
                self.touch(u for _, u in new)
                self._last_id = max(self._last_id, new[-1][0])
                self._seen.update(i for i, _ in new)
            floor = self._last_id - POLL_SLACK
            self._seen = {i for i in self._seen if i > floor}
        self._polled_at = time.monotonic()
        self.polled += 1
        return len(new)


class UserChangesPoller:
    """Runs `UserChanges.poll` every `interval_s` in a daemon thread, with sessions of its own."""

    def __init__(
        self, changes: UserChanges, sessions: sessionmaker[Session], interval_s: float
    ) -> None:
        self.changes = changes
        self.sessions = sessions
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="user-changes", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with self.sessions() as db:
                    self.changes.poll(db)
            except Exception as exc:  # the database is down: held pools age until it is back
                log.warning("user_changes_poll_failed", error=f"{type(exc).__name__}: {exc}")
            self._stop.wait(self.interval_s)
