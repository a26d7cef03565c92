"""Where feed sessions live: the database (default) or Redis (shared by several server processes).

A session is a JSON snapshot (ranked pool + pages served). Writers use compare-and-set on a
version, so two requests racing on one cursor agree on a single page.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Any, NamedTuple, Protocol

import orjson
from redis import Redis
from redis.exceptions import WatchError
from sqlalchemy.orm import Session

from videorec.kit.time import utc_now
from videorec.storage.repositories import feed_sessions

Snapshot = dict[str, Any]


class NewSession(NamedTuple):
    """A session to store (`create_many`)."""

    session_id: str
    key: str
    data: Snapshot
    ttl_s: int
    opened_at: datetime | None = None
    """When it was opened (its `created_at`, which orders `latest`, and the start of its
    TTL; None: now). A session stored behind its answer was opened before it is stored."""


PURGE_EVERY = 200
"""The database store deletes expired sessions on one session creation in this many."""
_created = 0
_created_lock = threading.Lock()


def _purge_due(count: int, every: int) -> bool:
    """Count `count` more creations (across the process); whether one of them is a multiple
    of `every` (the first creation is)."""
    global _created
    with _created_lock:
        before, _created = _created, _created + count
    return (before - 1) // every != (_created - 1) // every


RECENT_SESSIONS = 1024
"""Sessions each process keeps in memory (`RecentSessions`, ~25 kB each at a 300-post pool): a
scroll page follows its session's previous page within seconds."""


class SessionStore(Protocol):
    """Storage of feed session snapshots."""

    def create(self, session_id: str, key: str, data: Snapshot, ttl_s: int) -> None: ...

    def load(self, session_id: str) -> tuple[int, Snapshot] | None:
        """(version, snapshot) of a live session; None when unknown or expired."""
        ...

    def compare_and_set(self, session_id: str, version: int, data: Snapshot) -> bool:
        """Write `data` if the session is still at `version`; True when written."""
        ...

    def latest(self, key: str) -> str | None:
        """The newest live session opened for `key`."""
        ...


class ExpiringSessionStore(SessionStore, Protocol):
    """A store that also says how long a session it reads has left (what `CachedSessionStore`
    needs, so a copy it holds is never served past the stored session's expiry)."""

    def load_expiring(self, session_id: str) -> tuple[int, Snapshot, float] | None:
        """(version, snapshot, seconds until it expires) of a live session, as `load`."""
        ...


class _LoadsWithExpiry:
    """`load` as `load_expiring` without the time left: the stores read both in one go."""

    def load(self, session_id: str) -> tuple[int, Snapshot] | None:
        loaded = self.load_expiring(session_id)
        return None if loaded is None else loaded[:2]

    def load_expiring(self, session_id: str) -> tuple[int, Snapshot, float] | None:
        raise NotImplementedError


class SqlSessionStore(_LoadsWithExpiry):
    """Sessions in the `feed_sessions` table, through the request's database session.

    Expired rows are deleted on one creation in `purge_every` (counted across the process),
    an indexed delete that keeps the table at about one TTL's worth of sessions.
    """

    def __init__(self, db: Session, purge_every: int = PURGE_EVERY) -> None:
        self.db = db
        self.purge_every = purge_every

    def create(self, session_id: str, key: str, data: Snapshot, ttl_s: int) -> None:
        self.create_many([NewSession(session_id, key, data, ttl_s)])

    def create_many(self, sessions: list[NewSession]) -> None:
        """`create` for each, in one statement."""
        now = utc_now()
        if _purge_due(len(sessions), self.purge_every):
            feed_sessions.delete_expired(self.db, now)
        rows = []
        for new in sessions:
            opened = new.opened_at or now
            rows.append({"id": new.session_id, "key": new.key, "data": new.data,
                         "created_at": opened,
                         "expires_at": opened + timedelta(seconds=new.ttl_s)})  # fmt: skip
        feed_sessions.create_many(self.db, rows)

    def load_expiring(self, session_id: str) -> tuple[int, Snapshot, float] | None:
        return feed_sessions.get(self.db, session_id, utc_now())

    def compare_and_set(self, session_id: str, version: int, data: Snapshot) -> bool:
        return feed_sessions.compare_and_set(self.db, session_id, version, data)

    def latest(self, key: str) -> str | None:
        return feed_sessions.latest_for_key(self.db, key, utc_now())


class RedisSessionStore(_LoadsWithExpiry):
    """Sessions as Redis strings `{prefix}s:{id}` with a TTL; `{prefix}k:{key}` -> latest id."""

    def __init__(self, client: Redis, prefix: str = "videorec:feed:") -> None:
        self.client = client
        self.prefix = prefix

    def create(self, session_id: str, key: str, data: Snapshot, ttl_s: int) -> None:
        self.create_many([NewSession(session_id, key, data, ttl_s)])

    def create_many(self, sessions: list[NewSession]) -> None:
        """`create` for each, in one round trip (the TTL counts from now: Redis keeps no
        creation time)."""
        with self.client.pipeline() as pipe:
            for new in sessions:
                pipe.set(f"{self.prefix}s:{new.session_id}",
                         orjson.dumps({"v": 0, "d": new.data}), ex=new.ttl_s)  # fmt: skip
                pipe.set(f"{self.prefix}k:{new.key}", new.session_id, ex=new.ttl_s)
            pipe.execute()

    def load_expiring(self, session_id: str) -> tuple[int, Snapshot, float] | None:
        """As `load`, with the key's remaining TTL read in the same round trip."""
        name = f"{self.prefix}s:{session_id}"
        with self.client.pipeline(transaction=False) as pipe:
            pipe.get(name)
            pipe.pttl(name)
            raw, left_ms = pipe.execute()
        if raw is None or left_ms < 0:  # gone (-2), or somehow kept without a TTL (-1)
            return None
        stored = orjson.loads(raw)
        return int(stored["v"]), stored["d"], left_ms / 1000

    def compare_and_set(self, session_id: str, version: int, data: Snapshot) -> bool:
        name = f"{self.prefix}s:{session_id}"
        with self.client.pipeline() as pipe:
            try:
                pipe.watch(name)  # type: ignore[no-untyped-call]
                raw = pipe.get(name)
                if raw is None or int(orjson.loads(raw)["v"]) != version:
                    pipe.unwatch()
                    return False
                pipe.multi()
                pipe.set(name, orjson.dumps({"v": version + 1, "d": data}), keepttl=True)
                pipe.execute()
            except WatchError:
                return False
        return True

    def latest(self, key: str) -> str | None:
        raw = self.client.get(f"{self.prefix}k:{key}")
        return None if raw is None else (raw.decode() if isinstance(raw, bytes) else str(raw))


def shared_store(db: Session, redis: Redis | None) -> RedisSessionStore | SqlSessionStore:
    """The store sessions live in: Redis when configured (shared by replicas), else the
    database through `db`."""
    return RedisSessionStore(redis) if redis is not None else SqlSessionStore(db)


class RecentSessions:
    """A process-wide LRU of the sessions this process wrote or read: (version, snapshot, expiry).

    Thread-safe. Entries expire with their session: `ttl_s` from when they were written here,
    or the store's own expiry when they were read from it.
    """

    def __init__(self, maxsize: int = RECENT_SESSIONS) -> None:
        self.maxsize = maxsize
        self._items: OrderedDict[str, tuple[int, Snapshot, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, session_id: str) -> tuple[int, Snapshot] | None:
        found = self.entry(session_id)
        return None if found is None else (found[0], found[1])

    def entry(self, session_id: str) -> tuple[int, Snapshot, float] | None:
        """(version, snapshot, monotonic expiry) of a held, unexpired session."""
        with self._lock:
            found = self._items.get(session_id)
            if found is None:
                return None
            if found[2] <= time.monotonic():
                del self._items[session_id]
                return None
            self._items.move_to_end(session_id)
            return found

    def put(self, session_id: str, version: int, data: Snapshot, expires: float) -> None:
        with self._lock:
            self._items[session_id] = (version, data, expires)
            self._items.move_to_end(session_id)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)

    def expiry(self, session_id: str) -> float | None:
        with self._lock:
            found = self._items.get(session_id)
            return None if found is None else found[2]

    def drop(self, session_id: str) -> None:
        with self._lock:
            self._items.pop(session_id, None)


class CachedSessionStore(_LoadsWithExpiry):
    """A `SessionStore` that answers `load` from this process's `RecentSessions` when it can.

    A scroll page then reads no session from the database or Redis: only its compare-and-set
    goes there. A cached snapshot may be behind the store (another process served a later page
    of the session), never wrong about what it holds: the pages of a session are never rewritten,
    so a page found in it is the stored page, and a page computed from it is written only if
    the store is still at its version; when it is not, `compare_and_set` fails, the entry is
    dropped, and the next `load` reads the store.
    """

    def __init__(self, store: ExpiringSessionStore, recent: RecentSessions) -> None:
        self.store = store
        self.recent = recent

    def create(self, session_id: str, key: str, data: Snapshot, ttl_s: int) -> None:
        self.store.create(session_id, key, data, ttl_s)
        self.recent.put(session_id, 0, data, time.monotonic() + ttl_s)

    def load_expiring(self, session_id: str) -> tuple[int, Snapshot, float] | None:
        """From memory when held (with the expiry it was stored with), else from the store,
        kept here until the store's own expiry: never served past it."""
        now = time.monotonic()
        held = self.recent.entry(session_id)
        if held is not None:
            return held[0], held[1], held[2] - now
        loaded = self.store.load_expiring(session_id)
        if loaded is not None:
            version, data, left_s = loaded
            self.recent.put(session_id, version, data, now + left_s)
        return loaded

    def compare_and_set(self, session_id: str, version: int, data: Snapshot) -> bool:
        expires = self.recent.expiry(session_id)
        if not self.store.compare_and_set(session_id, version, data):
            self.recent.drop(session_id)
            return False
        if expires is not None:
            self.recent.put(session_id, version + 1, data, expires)
        return True

    def latest(self, key: str) -> str | None:
        return self.store.latest(key)
