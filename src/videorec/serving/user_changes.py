"""Which users had events since a moment, known in memory: what lets a held pool open a session.

A new session's ranked pool depends on the user's history (`serving/ranked_pools.py`). Reading
the history is a database round trip on every new session; `UserChanges` says instead whether
a user's history may have changed since a stamp, so a pool ranked at that stamp can be served
without reading it (`FeedService.open_in_memory`). A user is marked changed:

- by `touch`, when this process commits events (`POST /events`, after its commit);
- by `poll`, which reads the events stored since the last poll (any process: `videorec sync`,
  another worker), every `user_changes_poll_s` from a background thread (`UserChangesPoller`).

So a held pool misses an event written by another process for one poll interval and the poll's
own time (a sync's backlog is read `POLL_BATCH` events a poll); held pools are not trusted at
all while the last successful poll is older than `user_changes_max_age_s`. An event posted to
this process counts from its answer on. Marks are conservative: a user marked by mistake only
has their pool ranked again.

Event ids need not commit in order (PostgreSQL hands out sequence values before the commit):
ranges of ids a poll skipped over (below the largest it read, not there yet; the first poll
looks at the last `FIRST_TAIL` ids) are gaps, read again by every poll for `GAP_TTL_S` (ids
that never come, a rolled-back insert or an `ON CONFLICT DO NOTHING` that used a sequence
value, stay gaps until then), at most `MAX_GAP_RANGES` ranges. An event committed later still
reaches held pools only with the next feed state (which the next new event id brings).
"""

from __future__ import annotations

import bisect
import itertools
import threading
import time
from collections.abc import Iterable

import structlog
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from videorec.storage.repositories.feed import EVENTS

log = structlog.get_logger(__name__)
POLL_BATCH = 100_000
"""Events one poll reads at most (a long sync: the next poll goes on from there)."""
GAP_TTL_S = 120.0
"""How long an id skipped over is looked for again (a transaction open this long is rare)."""
MAX_GAP_RANGES = 2_000
"""Gap ranges kept at most (the newest)."""
GAP_CHUNK = 100
"""Gap ranges asked for in one statement."""
FIRST_TAIL = 1_000
"""Ids the first poll reads at the end of the log, to find the gaps already there."""
MAX_MARKS = 200_000
"""Marked users kept; past this all are forgotten and every older stamp is distrusted."""


class UserChanges:
    """Stamps and per-user change marks; thread-safe.

    A stamp is a counter, not a time: `stamp()` before reading a user's history, and
    `changed_since(user, stamp)` is True once any mark of that user came after it.
    """

    def __init__(self) -> None:
        self._ticks = itertools.count(1)
        self._marks: dict[int, int] = {}
        self._lock = threading.Lock()
        self._last_id: int | None = None
        self._gaps: list[tuple[int, int, float]] = []  # (first id, last id, when skipped)
        self._trusted_from: int | None = None
        self._polled_at = float("-inf")
        self.polled = 0
        """Polls done (a poll that failed is not counted)."""

    def stamp(self) -> int:
        """A stamp to hold beside what is read from now on."""
        with self._lock:
            return next(self._ticks)

    def touch(self, user_ids: Iterable[int]) -> None:
        """Mark `user_ids` changed now (after their events are committed)."""
        with self._lock:
            tick = next(self._ticks)
            for user_id in user_ids:
                self._marks[int(user_id)] = tick
            if len(self._marks) > MAX_MARKS:  # forget them all: older stamps are distrusted
                self._trusted_from = tick + 1  # before the marks go (`changed_since` reads
                self._marks.clear()  # the mark first, then this)

    def changed_since(self, user_id: int, stamp: int) -> bool:
        """Whether `user_id` may have had events after `stamp` was taken: marked since, or
        `stamp` is older than the first poll (before it, nothing was watched) or than the
        last time the marks were forgotten."""
        mark = self._marks.get(user_id, 0)
        trusted = self._trusted_from
        return trusted is None or stamp < trusted or mark > stamp

    def watching(self, max_age_s: float) -> bool:
        """Whether a poll succeeded within `max_age_s` (else marks may be missing: the
        database is unreachable, and held pools must not be trusted)."""
        return time.monotonic() - self._polled_at <= max_age_s

    def poll(self, db: Session) -> int:
        """Mark the users of the events stored since the last poll (and of gaps now filled);
        how many such events there were.

        The first poll notes where the log ends and marks nobody; stamps taken before it are
        never trusted (`changed_since`).
        """
        if self._last_id is None:
            tail = db.scalars(select(EVENTS.c.id).order_by(EVENTS.c.id.desc()).limit(FIRST_TAIL))
            ids = sorted(int(i) for i in tail)
            self._last_id = ids[0] - 1 if ids else 0
            if ids:
                self._note_gaps(ids)
            with self._lock:
                tick = next(self._ticks)
                self._trusted_from = max(self._trusted_from or 0, tick)
            return self._polled()
        rows = db.execute(
            select(EVENTS.c.id, EVENTS.c.user_id)
            .where(EVENTS.c.id > self._last_id)
            .order_by(EVENTS.c.id)
            .limit(POLL_BATCH)
        ).all()
        found = [(int(i), int(u)) for i, u in rows] + self._filled_gaps(db)
        if found:
            self.touch(u for _, u in found)
        if rows:
            self._note_gaps([int(i) for i, _ in rows])
        return self._polled(len(found))

    def _filled_gaps(self, db: Session) -> list[tuple[int, int]]:
        """(id, user) of events found in the gaps, which split around them; expired gaps
        dropped."""
        now = time.monotonic()
        self._gaps = [gap for gap in self._gaps if now - gap[2] < GAP_TTL_S]
        filled: list[tuple[int, int]] = []
        for start in range(0, len(self._gaps), GAP_CHUNK):
            chunk = self._gaps[start : start + GAP_CHUNK]
            inside = or_(*[EVENTS.c.id.between(lo, hi) for lo, hi, _ in chunk])
            rows = db.execute(select(EVENTS.c.id, EVENTS.c.user_id).where(inside))
            filled += [(int(i), int(u)) for i, u in rows]
        if filled:
            self._gaps = _without(self._gaps, sorted(i for i, _ in filled))
        return filled

    def _note_gaps(self, ids: list[int]) -> None:
        """Record the ranges between the last id read and the newest of `ids` (sorted) that
        were not there (committed later, or never), and move the last id read on."""
        assert self._last_id is not None
        now, previous = time.monotonic(), self._last_id
        for i in ids:
            if i > previous + 1:
                self._gaps.append((previous + 1, i - 1, now))
            previous = i
        del self._gaps[:-MAX_GAP_RANGES]  # keep the newest
        self._last_id = ids[-1]

    def _polled(self, count: int = 0) -> int:
        self._polled_at = time.monotonic()
        self.polled += 1
        return count


def _without(gaps: list[tuple[int, int, float]], found: list[int]) -> list[tuple[int, int, float]]:
    """`gaps` split around the sorted ids `found` (which are inside them)."""
    kept: list[tuple[int, int, float]] = []
    for lo, hi, when in gaps:
        start = lo
        for i in found[bisect.bisect_left(found, lo) : bisect.bisect_right(found, hi)]:
            if i > start:
                kept.append((start, i - 1, when))
            start = i + 1
        if start <= hi:
            kept.append((start, hi, when))
    return kept


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
