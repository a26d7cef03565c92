"""Writes and reads of events posted to the API (`POST /events`), in the interaction table.

API events have no upstream id; their client event id is unique, so a resent event is skipped
(`ON CONFLICT (client_event_id) DO NOTHING`). Users first seen in an event are created with
negative ids (-1, -2, ...), so they never collide with upstream ids, which are positive.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, select, text
from sqlalchemy.orm import Session

from videorec.errors import ServiceUnavailable
from videorec.kit.time import utc_now
from videorec.storage.repositories.bulk import Row, dialect_insert
from videorec.storage.tables import EventSource, Interaction, Post, User

CREATE_ATTEMPTS = 5
EVENTS: Table = Interaction.__table__  # type: ignore[assignment]
USERS: Table = User.__table__  # type: ignore[assignment]

# PostgreSQL: the whole batch in one statement, columns as array literals (see
# ingest_interactions: psycopg's executemany is one round trip per row).
_UNNEST_INSERT = text(
    "INSERT INTO interactions (source, client_event_id, kind, user_id, post_id, rating, "
    "occurred_at) SELECT CAST(:source AS varchar), * FROM unnest(CAST(:client_event_id AS text[]), "
    "CAST(:kind AS text[]), CAST(:user_id AS bigint[]), CAST(:post_id AS bigint[]), "
    "CAST(:rating AS smallint[]), CAST(:occurred_at AS timestamp[])) "
    "ON CONFLICT (client_event_id) DO NOTHING"
)
# PostgreSQL look-ups by one array parameter, joined through unnest(): a fixed statement text
# (an IN list of 1,000 parameters was a new text per batch, ~40 ms each to convert). Not
# `= ANY(CAST(:p AS ...[]))`: once psycopg prepares the statement, PostgreSQL's generic plan
# parsed the array literal again for every row scanned (~250 ms a batch instead of ~3 ms).
_PG_USERS_BY_NAME = text(
    "SELECT u.username, u.id FROM unnest(CAST(:names AS varchar[])) AS n(name) "
    "JOIN users AS u ON u.username = n.name"
)
_PG_KNOWN_POSTS = text(
    "SELECT p.id FROM unnest(CAST(:ids AS bigint[])) AS n(id) JOIN posts AS p ON p.id = n.id"
)
_SQLITE_INSERT = (
    "INSERT INTO interactions (source, client_event_id, kind, user_id, post_id, rating, "
    "occurred_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (client_event_id) DO NOTHING"
)


def resolve_users(session: Session, usernames: Sequence[str]) -> dict[str, int]:
    """The user id of each username, as the feed resolves it (a numeric name may be an id)."""
    wanted = set(usernames)
    if not wanted:
        return {}
    if _is_postgresql(session):
        names = _array_literal(sorted(_quoted(name) for name in wanted))
        rows = session.execute(_PG_USERS_BY_NAME, {"names": names})
    else:
        rows = session.execute(
            select(USERS.c.username, USERS.c.id).where(USERS.c.username.in_(wanted))
        )
    found = {str(name): int(uid) for name, uid in rows}
    numeric = {int(n): n for n in wanted - set(found) if n.isdigit() and len(n) < 19}
    if numeric:
        by_id = select(USERS.c.id).where(USERS.c.id.in_(numeric))
        found.update({numeric[int(uid)]: int(uid) for uid in session.scalars(by_id)})
    return found


def create_users(session: Session, usernames: Sequence[str]) -> dict[str, int]:
    """Create users for `usernames` (none of them stored yet); returns their ids.

    Ids count down from the smallest stored one. A request that races this one for the same
    ids or usernames makes the insert skip those rows (ON CONFLICT DO NOTHING); the names still
    missing are retried with fresh ids.
    """
    missing = sorted(set(usernames))
    made: dict[str, int] = {}
    for _ in range(CREATE_ATTEMPTS):
        if not missing:
            return made
        low = min(session.scalar(select(func.min(USERS.c.id))) or 0, 0)
        rows = [{"id": low - 1 - i, "username": name, "raw": {"source": EventSource.API.value},
                 "ingested_at": utc_now()} for i, name in enumerate(missing)]  # fmt: skip
        session.execute(dialect_insert(session, USERS).on_conflict_do_nothing(), rows)
        made.update(resolve_users(session, missing))
        missing = [name for name in missing if name not in made]
    raise ServiceUnavailable("could not create users under concurrent writes; retry the batch")


def known_posts(session: Session, post_ids: Sequence[int]) -> set[int]:
    """Which of `post_ids` are stored posts."""
    wanted = set(post_ids)
    if not wanted:
        return set()
    if _is_postgresql(session):
        found = session.scalars(_PG_KNOWN_POSTS, {"ids": _array_literal(sorted(wanted))})
    else:
        found = session.scalars(select(Post.id).where(Post.id.in_(wanted)))
    return {int(pid) for pid in found}


def insert_events(session: Session, rows: Sequence[Row]) -> int:
    """Insert API events (keys: client_event_id, kind, user_id, post_id, rating, occurred_at).

    Returns:
        How many were new; the others had a client event id stored already.
    """
    if not rows:
        return 0
    source = EventSource.API.value
    if _is_postgresql(session):
        params: dict[str, Any] = {
            name: _array_literal([row[name] for row in rows])
            for name in ("user_id", "post_id", "rating")
        }
        params["client_event_id"] = _array_literal([_quoted(r["client_event_id"]) for r in rows])
        params["kind"] = _array_literal([_quoted(row["kind"]) for row in rows])
        params["occurred_at"] = _array_literal([f'"{row["occurred_at"]}"' for row in rows])
        result = session.execute(_UNNEST_INSERT, {"source": source, **params})
        return int(result.rowcount)  # type: ignore[attr-defined]
    values = [(source, row["client_event_id"], row["kind"], row["user_id"], row["post_id"],
               row["rating"], _sqlite_datetime(row["occurred_at"])) for row in rows]  # fmt: skip
    cursor = session.connection().exec_driver_sql(_SQLITE_INSERT, values)
    return int(cursor.rowcount)


def latest(session: Session, source: str, limit: int) -> list[dict[str, Any]]:
    """The `limit` newest events of one source (newest first), with usernames when known."""
    c = EVENTS.c
    stmt = (
        select(
            c.id,
            c.kind,
            c.user_id,
            USERS.c.username,
            c.post_id,
            c.rating,
            c.occurred_at,
            c.client_event_id,
        )  # fmt: skip
        .outerjoin(USERS, USERS.c.id == c.user_id)
        .where(c.source == source)
        .order_by(c.id.desc())
        .limit(limit)
    )
    return [dict(row._mapping) for row in session.execute(stmt)]


def count_by_source(session: Session) -> dict[str, int]:
    """How many interactions each source stored."""
    stmt = select(EVENTS.c.source, func.count()).group_by(EVENTS.c.source)
    return {str(source): int(n) for source, n in session.execute(stmt)}


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _quoted(value: str) -> str:
    """A text element of a PostgreSQL array literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _array_literal(values: Sequence[Any]) -> str:
    return "{" + ",".join("NULL" if value is None else str(value) for value in values) + "}"


def _sqlite_datetime(value: datetime) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S}.{value.microsecond:06d}"
