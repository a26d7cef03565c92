"""Writes and counts of the interaction log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, or_, select, text
from sqlalchemy.orm import Session

from videorec.storage.repositories.bulk import Row, insert_new, unique_by
from videorec.storage.tables import Interaction, Post, User

# PostgreSQL: the whole page in ONE statement, its columns sent as array literals that the
# server parses. psycopg's executemany sends one INSERT per row; a rendered multi-row VALUES costs
# more to build than to run; and adapting Python lists element by element costs ~25 ms a page.
_UNNEST_INSERT = text(
    "INSERT INTO interactions (kind, upstream_id, user_id, post_id, rating, occurred_at) "
    "SELECT CAST(:kind AS varchar), * FROM unnest(CAST(:upstream_id AS bigint[]), "
    "CAST(:user_id AS bigint[]), CAST(:post_id AS bigint[]), CAST(:rating AS smallint[]), "
    "CAST(:occurred_at AS timestamp[])) "
    "ON CONFLICT (kind, upstream_id) DO NOTHING"
)


# SQLite: the driver's own executemany (C) with SQLAlchemy's DATETIME text format; going
# through SQLAlchemy's per-row parameter processing costs more than the insert itself.
_SQLITE_INSERT = (
    "INSERT INTO interactions (kind, upstream_id, user_id, post_id, rating, occurred_at) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (kind, upstream_id) DO NOTHING"
)


def insert_interactions(session: Session, rows: Sequence[Row]) -> None:
    """Insert log rows; a row whose (kind, upstream_id) is stored already is skipped."""
    unique = unique_by(rows, "kind", "upstream_id")
    dialect = session.get_bind().dialect.name
    if not unique:
        return
    if dialect == "postgresql":
        _insert_postgresql(session, unique)
    elif dialect == "sqlite":
        params = [(row["kind"], row["upstream_id"], row["user_id"], row["post_id"], row["rating"],
                   _sqlite_datetime(row["occurred_at"])) for row in unique]  # fmt: skip
        session.connection().exec_driver_sql(_SQLITE_INSERT, params)
    else:
        insert_new(session, Interaction.__table__, unique, keys=["kind", "upstream_id"])  # type: ignore[arg-type]


def _insert_postgresql(session: Session, rows: Sequence[Row]) -> None:
    for kind in sorted({row["kind"] for row in rows}):
        same = [row for row in rows if row["kind"] == kind]
        params = {name: _array_literal([row[name] for row in same])
                  for name in ("upstream_id", "user_id", "post_id", "rating")}  # fmt: skip
        params["occurred_at"] = _array_literal([f'"{row["occurred_at"]}"' for row in same])
        session.execute(_UNNEST_INSERT, {"kind": kind, **params})


def _sqlite_datetime(value: datetime) -> str:
    """The text SQLAlchemy's SQLite DATETIME stores, so reads and comparisons stay consistent."""
    return f"{value:%Y-%m-%d %H:%M:%S}.{value.microsecond:06d}"


def _array_literal(values: Sequence[Any]) -> str:
    """A PostgreSQL array literal of ints (or pre-quoted text); None becomes NULL."""
    return "{" + ",".join("NULL" if value is None else str(value) for value in values) + "}"


def count_by_kind(session: Session) -> dict[str, int]:
    """How many interactions of each kind are stored."""
    stmt = select(Interaction.kind, func.count()).group_by(Interaction.kind)
    return dict(session.execute(stmt).all())


def count_orphans(session: Session, kind: str) -> int:
    """Interactions of `kind` whose user or post is unknown."""
    unknown_user = ~exists().where(User.id == Interaction.user_id)
    unknown_post = ~exists().where(Post.id == Interaction.post_id)
    stmt = (
        select(func.count())
        .select_from(Interaction)
        .where(Interaction.kind == kind, or_(unknown_user, unknown_post))
    )
    return session.scalar(stmt) or 0


def count_orphans_by_kind(session: Session) -> dict[str, int]:
    """Interactions whose user or post is unknown, per kind (they are kept, not dropped)."""
    unknown_user = ~exists().where(User.id == Interaction.user_id)
    unknown_post = ~exists().where(Post.id == Interaction.post_id)
    stmt = (
        select(Interaction.kind, func.count())
        .where(or_(unknown_user, unknown_post))
        .group_by(Interaction.kind)
    )
    return dict(session.execute(stmt).all())
