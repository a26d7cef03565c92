"""Reads and writes of the per-resource sync checkpoint."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from videorec.storage.repositories.bulk import upsert
from videorec.storage.tables import SyncState


def tune_for_bulk_writes(session: Session) -> None:
    """Set up the session's connection for a long run of page transactions (once per connection).

    PostgreSQL: commits return before their WAL reaches disk (`synchronous_commit = off`). Safe
    for sync pages: a page and its checkpoint still commit atomically, so a database crash can
    only lose the newest whole pages *with* their checkpoint, and the next run re-fetches them.
    SQLite (already WAL with synchronous=NORMAL): a 64 MiB page cache, as index pages of a
    million-row log no longer fit the default 2 MiB, and checkpoints of the WAL every 16k pages
    rather than every 1k. The settings stay on that pooled connection, which only the sync's
    own engine uses.
    """
    connection = session.connection()
    if connection.info.get("tuned_for_bulk"):
        return
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET synchronous_commit TO OFF")
    elif connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA cache_size = -65536")
        connection.exec_driver_sql("PRAGMA wal_autocheckpoint = 16384")
    connection.info["tuned_for_bulk"] = True


def get_state(session: Session, resource: str) -> SyncState | None:
    """The checkpoint of `resource`, None before its first page."""
    return session.scalar(select(SyncState).where(SyncState.resource == resource))


def save_state(
    session: Session,
    resource: str,
    *,
    next_page: int,
    page_size: int,
    items_seen: int,
    last_synced_at: datetime,
    completed_at: datetime | None,
) -> None:
    """Write the checkpoint of `resource` (in the caller's transaction, with its page)."""
    row = {"resource": resource, "next_page": next_page, "page_size": page_size,
           "items_seen": items_seen,
           "last_synced_at": last_synced_at, "completed_at": completed_at}  # fmt: skip
    upsert(session, SyncState.__table__, [row], keys=["resource"])  # type: ignore[arg-type]


def all_states(session: Session, resources: Sequence[str] | None = None) -> list[SyncState]:
    """Every checkpoint (or those of `resources`), by resource name."""
    stmt = select(SyncState).order_by(SyncState.resource)
    if resources is not None:
        stmt = stmt.where(SyncState.resource.in_(resources))
    return list(session.scalars(stmt))
