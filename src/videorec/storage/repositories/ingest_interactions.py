"""Writes and counts of the interaction log."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from videorec.storage.repositories.bulk import Row, insert_new, unique_by
from videorec.storage.tables import Interaction, Post, User


def insert_interactions(session: Session, rows: Sequence[Row]) -> None:
    """Insert log rows; a row whose (kind, upstream_id) is stored already is skipped."""
    unique = unique_by(rows, "kind", "upstream_id")
    insert_new(session, Interaction.__table__, unique, keys=["kind", "upstream_id"])  # type: ignore[arg-type]


def count_by_kind(session: Session) -> dict[str, int]:
    """How many interactions of each kind are stored."""
    stmt = select(Interaction.kind, func.count()).group_by(Interaction.kind)
    return dict(session.execute(stmt).all())


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
