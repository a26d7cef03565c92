"""Feed session snapshots in the database (the default store; Redis is the other).

Statements use the table's columns (Core), not the ORM entity: one is written per `/feed`. The
per-page ones run on the session's connection (its transaction), past the ORM's execute layer
(autoflush, the ORM compile state: ~10 % of a session INSERT in a profile); no ORM object of this
table is ever pending in a session that runs them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from videorec.kit.time import utc_now
from videorec.storage.tables import FeedSession

SESSIONS: Table = FeedSession.__table__  # type: ignore[assignment]


_CREATE = insert(SESSIONS)
_GET = select(SESSIONS.c.version, SESSIONS.c.data, SESSIONS.c.expires_at).where(
    SESSIONS.c.id == bindparam("sid"), SESSIONS.c.expires_at > bindparam("now")
)
_SET = (
    update(SESSIONS)
    .where(SESSIONS.c.id == bindparam("sid"), SESSIONS.c.version == bindparam("old"))
    .values(data=bindparam("new_data"), version=bindparam("new_version"))
)
"""Statements built once: one of them runs per `/feed` page, and building one (columns,
operators, `.values()`) cost about as much as running it on SQLite."""


def create(
    session: Session,
    *,
    id: str,
    key: str,
    data: dict[str, Any],
    expires_at: datetime,
    created_at: datetime | None = None,
) -> None:
    """Store a new session at version 0 (`created_at`: now unless given)."""
    row = {"id": id, "key": key, "data": data, "created_at": created_at or utc_now(),
           "expires_at": expires_at}  # fmt: skip
    create_many(session, [row])


def create_many(session: Session, rows: list[dict[str, Any]]) -> None:
    """Store new sessions at version 0 in one statement: each row's id, key, data, created_at
    and expires_at."""
    if rows:
        session.connection().execute(_CREATE, [{**row, "version": 0} for row in rows])


def get(session: Session, id: str, now: datetime) -> tuple[int, dict[str, Any], float] | None:
    """(version, data, seconds it has left) of a live session, None when missing or expired.

    The seconds left are `expires_at` (written by whichever server opened the session) less this
    host's `now`: servers whose clocks disagree hold a copy that much longer or shorter."""
    row = session.connection().execute(_GET, {"sid": id, "now": now}).first()
    return None if row is None else (row[0], row[1], (row[2] - now).total_seconds())


def compare_and_set(session: Session, id: str, version: int, data: dict[str, Any]) -> bool:
    """Replace the data if the stored version is still `version`; True when it was written."""
    params = {"sid": id, "old": version, "new_data": data, "new_version": version + 1}
    result = session.connection().execute(_SET, params)
    return bool(getattr(result, "rowcount", 0) == 1)


def latest_for_key(session: Session, key: str, now: datetime) -> str | None:
    """Id of the newest live session opened for `key`."""
    stmt = (
        select(SESSIONS.c.id)
        .where(SESSIONS.c.key == key, SESSIONS.c.expires_at > now)
        .order_by(SESSIONS.c.created_at.desc())
        .limit(1)
    )
    return session.scalar(stmt)


def delete_expired(session: Session, now: datetime) -> int:
    """Remove expired sessions; how many were removed."""
    result = session.execute(delete(SESSIONS).where(SESSIONS.c.expires_at <= now))
    return int(getattr(result, "rowcount", 0) or 0)
