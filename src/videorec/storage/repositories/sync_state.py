"""Reads and writes of the per-resource sync checkpoint."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from videorec.storage.repositories.bulk import upsert
from videorec.storage.tables import SyncState


def relax_durability(session: Session) -> None:
    """Let commits on this connection return before their WAL reaches disk (PostgreSQL only).

    Safe for sync pages: a page and its checkpoint still commit atomically, so a database crash
    can only lose the newest whole pages *with* their checkpoint, and the next run re-fetches
    them. Set once per pooled connection (a round trip per page costs more than it saves); the
    setting stays on that connection, which the sync's own engine alone uses. SQLite's WAL with
    synchronous=NORMAL already behaves this way.
    """
    connection = session.connection()
    if connection.dialect.name == "postgresql" and not connection.info.get("relaxed_commit"):
        connection.exec_driver_sql("SET synchronous_commit TO OFF")
        connection.info["relaxed_commit"] = True


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
