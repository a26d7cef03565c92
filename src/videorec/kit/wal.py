"""SQLite's WAL checkpoints on a thread of their own, off the requests' commits.

By default SQLite checkpoints inside the commit that grows the write-ahead log past 1,000
pages: that commit copies the log into the database file and syncs it, tens of milliseconds at
a million posts, so about one feed session in a few hundred paid for all the others (the
p99.9 of a new session). A server's engine turns that off per connection
(`wal_autocheckpoint = 0`) and this thread checkpoints instead, every `interval_s`, PASSIVE: it
never waits for, or blocks, readers and writers, Python's sqlite3 lets go of the GIL while it
runs, and with nothing new in the log it copies and syncs nothing. Other processes on the same
file (a `videorec sync`) keep their own automatic checkpoints. Not SQLite: nothing to do.
"""

from __future__ import annotations

import threading
from typing import Any

import structlog
from sqlalchemy import Engine, event

log = structlog.get_logger(__name__)

DEFAULT_INTERVAL_S = 0.5


class BackgroundCheckpoints:
    """Checkpoints an SQLite engine's WAL from a daemon thread: `start()` it, `close()` stops it.

    Must be made before the engine opens its first connection: the pragma is set on connect.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        interval_s: float = DEFAULT_INTERVAL_S,
    ) -> None:
        self._engine = engine
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.checkpoints = 0
        self.applies = _file_sqlite(engine)
        if self.applies:
            event.listen(engine, "connect", _no_auto_checkpoint)

    def start(self) -> BackgroundCheckpoints:
        """Start the thread (nothing to start where the engine is not file-backed SQLite)."""
        if self.applies and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="wal-checkpoints", daemon=True)
            self._thread.start()
        return self

    @property
    def active(self) -> bool:
        return self._thread is not None

    def checkpoint(self) -> None:
        """Copy what the log holds into the database file, as far as no reader needs it."""
        with self._engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
        self.checkpoints += 1

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            try:
                self.checkpoint()
            except Exception as error:  # a locked or vanished file: try again next turn
                log.warning("wal_checkpoint_failed", error=repr(error))


def _no_auto_checkpoint(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


def _file_sqlite(engine: Engine) -> bool:
    """True for a file-backed SQLite engine (not another backend, not an in-memory database)."""
    url = engine.url
    return url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
