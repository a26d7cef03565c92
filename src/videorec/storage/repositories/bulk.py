"""Dialect-specific bulk INSERT ... ON CONFLICT, shared by the ingestion repositories."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from videorec.errors import ConfigurationError

Row = dict[str, Any]

# SQLite allows 32,766 bound parameters per statement; stay well below for wide rows.
_MAX_PARAMS = 30_000


def dialect_insert(session: Session, table: Table) -> postgresql.Insert | sqlite.Insert:
    """The INSERT construct of the session's backend, which knows ON CONFLICT."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise ConfigurationError(f"ingestion supports SQLite and PostgreSQL, not {name}")


def chunks(rows: Sequence[Row]) -> Iterator[Sequence[Row]]:
    """Slices of `rows` small enough for one multi-row statement on every backend."""
    if not rows:
        return
    size = max(1, _MAX_PARAMS // max(1, len(rows[0])))
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def upsert(session: Session, table: Table, rows: Sequence[Row], *, keys: Sequence[str]) -> None:
    """Insert `rows`, or update every other column of the row with the same `keys`.

    Rows must share one set of columns and be unique on `keys` (PostgreSQL refuses to update
    one row twice in a statement).
    """
    for chunk in chunks(rows):
        stmt = dialect_insert(session, table).values(list(chunk))
        updates = {col: stmt.excluded[col] for col in chunk[0] if col not in keys}
        session.execute(stmt.on_conflict_do_update(index_elements=list(keys), set_=updates))


def insert_new(session: Session, table: Table, rows: Sequence[Row], *, keys: Sequence[str]) -> int:
    """Insert `rows`, skipping those whose `keys` already exist; returns how many were new."""
    inserted = 0
    for chunk in chunks(rows):
        stmt = dialect_insert(session, table).values(list(chunk))
        stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
        # RETURNING counts the rows really inserted on both backends (rowcount does not).
        inserted += len(session.execute(stmt.returning(table.c[keys[0]])).all())
    return inserted


def unique_by(rows: Sequence[Row], *keys: str) -> list[Row]:
    """`rows` with one row per key (the last one wins), in first-seen order."""
    kept: dict[tuple[Any, ...], Row] = {}
    for row in rows:
        kept[tuple(row[key] for key in keys)] = row
    return list(kept.values())
