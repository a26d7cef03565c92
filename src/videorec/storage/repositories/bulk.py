"""Bulk, idempotent inserts by key: what importers use to load hundreds of thousands of rows.

Rows whose key already exists are skipped, so running an import twice adds nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from videorec.storage.base import Base
from videorec.storage.tables import Category, Interaction, Post, User

KeyedTable = type[User] | type[Post] | type[Category]

BATCH_ROWS = 5_000
ID_CHUNK = 10_000


def existing_ids(session: Session, table: KeyedTable, ids: Sequence[int]) -> set[int]:
    """Which of `ids` already exist as primary keys of `table`."""
    found: set[int] = set()
    for start in range(0, len(ids), ID_CHUNK):
        chunk = list(ids[start : start + ID_CHUNK])
        found.update(session.scalars(select(table.id).where(table.id.in_(chunk))))
    return found


def existing_upstream_ids(session: Session, kind: str, low: int, high: int) -> set[int]:
    """Upstream ids of `kind` interactions already stored within [low, high]."""
    stmt = select(Interaction.upstream_id).where(
        Interaction.kind == kind, Interaction.upstream_id.between(low, high)
    )
    return set(session.scalars(stmt))


def insert_new(session: Session, table: KeyedTable, rows: Sequence[dict[str, Any]]) -> int:
    """Insert the rows whose `id` is not stored yet; returns how many were inserted."""
    known = existing_ids(session, table, [row["id"] for row in rows])
    return insert_rows(session, table, [row for row in rows if row["id"] not in known])


def insert_new_interactions(session: Session, kind: str, rows: Sequence[dict[str, Any]]) -> int:
    """Insert the `kind` rows whose `upstream_id` is not stored yet; returns how many."""
    if not rows:
        return 0
    upstream = [row["upstream_id"] for row in rows]
    known = existing_upstream_ids(session, kind, min(upstream), max(upstream))
    return insert_rows(session, Interaction, [r for r in rows if r["upstream_id"] not in known])


def insert_rows(
    session: Session, table: KeyedTable | type[Interaction], rows: Iterable[dict[str, Any]]
) -> int:
    """Plain batched Core INSERTs (executemany, no ORM bookkeeping); the caller owns the
    transaction. Rows must carry every column that has a Python-side default."""
    statement = insert(Base.metadata.tables[table.__tablename__])
    connection = session.connection()
    batch: list[dict[str, Any]] = []
    inserted = 0
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH_ROWS:
            connection.execute(statement, batch)
            inserted, batch = inserted + len(batch), []
    if batch:
        connection.execute(statement, batch)
        inserted += len(batch)
    return inserted
