"""Dialect-specific bulk INSERT ... ON CONFLICT, shared by the ingestion repositories."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import Table, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from videorec.errors import ConfigurationError

Row = dict[str, Any]
T = TypeVar("T")
IN_CHUNK = 5000
"""Values per `IN (...)` list: SQLite binds at most 32,766 parameters a statement, psycopg
65,535."""


def in_chunks(values: Sequence[T]) -> Iterator[Sequence[T]]:
    """`values` in slices of at most `IN_CHUNK`, one `IN (...)` list each (none when empty)."""
    for start in range(0, len(values), IN_CHUNK):
        yield values[start : start + IN_CHUNK]


def dialect_insert(session: Session, table: Table) -> postgresql.Insert | sqlite.Insert:
    """The INSERT construct of the session's backend, which knows ON CONFLICT."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise ConfigurationError(f"ingestion supports SQLite and PostgreSQL, not {name}")


def upsert(
    session: Session,
    table: Table,
    rows: Sequence[Row],
    *,
    keys: Sequence[str],
    stamp: str | None = None,
) -> None:
    """Insert `rows`, or update every other column of the row with the same `keys`.

    One executemany of one cached statement, not a round trip per row. Rows must share one
    set of columns and be unique on `keys` (PostgreSQL cannot update a row twice in one go).
    With `stamp` (a column the rows set to the write time, e.g. `ingested_at`), a stored row
    is updated only when another column differs, so its stamp says when its content last
    changed: a sync that re-reads unchanged rows moves no stamp (the feed's data watermark
    reads the posts' latest one).
    """
    if not rows:
        return
    stmt = dialect_insert(session, table)
    updates = {col: stmt.excluded[col] for col in rows[0] if col not in keys}
    changed = None
    if stamp is not None:
        compared = [col for col in updates if col != stamp]
        changed = or_(*(table.c[col].is_distinct_from(stmt.excluded[col]) for col in compared))
    upsert_stmt = stmt.on_conflict_do_update(index_elements=list(keys), set_=updates, where=changed)
    session.execute(upsert_stmt, rows)


def insert_new(session: Session, table: Table, rows: Sequence[Row], *, keys: Sequence[str]) -> None:
    """Insert `rows`, skipping those whose `keys` already exist (one executemany)."""
    if not rows:
        return
    stmt = dialect_insert(session, table).on_conflict_do_nothing(index_elements=list(keys))
    session.execute(stmt, rows)


def unique_by(rows: Sequence[Row], *keys: str) -> list[Row]:
    """`rows` with one row per key (the last one wins), in first-seen order."""
    kept: dict[tuple[Any, ...], Row] = {}
    for row in rows:
        kept[tuple(row[key] for key in keys)] = row
    return list(kept.values())
