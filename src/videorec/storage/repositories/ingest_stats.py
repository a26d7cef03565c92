"""Counts for `videorec stats`: what ingestion has stored."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from videorec.storage.repositories.ingest_interactions import count_by_kind, count_orphans_by_kind
from videorec.storage.repositories.quarantine import count_by_source
from videorec.storage.repositories.sync_state import all_states
from videorec.storage.tables import Category, Interaction, InteractionKind, Post, User


def ingestion_stats(session: Session) -> dict[str, Any]:
    """Row counts per table and kind, orphans, quarantine and the last sync per resource."""
    kinds = count_by_kind(session)
    orphans = count_orphans_by_kind(session)
    quarantined = count_by_source(session)
    return {
        "users": _count(session, User),
        "posts": _count(session, Post),
        "categories": _count(session, Category),
        "interactions": {kind.value: kinds.get(kind.value, 0) for kind in InteractionKind},
        "orphan_interactions": sum(orphans.values()),
        "orphans_by_kind": {kind.value: orphans.get(kind.value, 0) for kind in InteractionKind},
        "quarantined_items": sum(quarantined.values()),
        "quarantined_by_source": quarantined,
        "sync": {
            state.resource: {
                "next_page": state.next_page,
                "items_seen": state.items_seen,
                "last_synced_at": _iso(state.last_synced_at),
                "completed_at": _iso(state.completed_at),
            }
            for state in all_states(session)
        },
    }


def count_rows(session: Session, resource: str) -> int:
    """Stored rows of one sync resource: "users", "posts" or an interaction kind."""
    if resource == "users":
        return _count(session, User)
    if resource == "posts":
        return _count(session, Post)
    return count_by_kind(session).get(resource, 0)


def last_upstream_id(session: Session, resource: str) -> int | None:
    """The largest upstream id stored for one sync resource (None: none stored). An index
    look-up: the primary keys of users and posts, the (kind, upstream_id) key of the logs."""
    if resource == "users":
        return session.scalar(select(func.max(User.id)))
    if resource == "posts":
        return session.scalar(select(func.max(Post.id)))
    stmt = select(func.max(Interaction.upstream_id)).where(Interaction.kind == resource)
    return session.scalar(stmt)


def _count(session: Session, table: type[User] | type[Post] | type[Category]) -> int:
    return session.scalar(select(func.count()).select_from(table)) or 0


def _iso(value: Any) -> str | None:
    return value.isoformat(sep=" ") if value is not None else None
