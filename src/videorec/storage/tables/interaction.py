from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Index, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from videorec.kit.kinds import InteractionKind
from videorec.storage.base import Base, BigIntPK

__all__ = ["EventSource", "Interaction", "InteractionKind"]


class EventSource(enum.StrEnum):
    """Where an interaction came from."""

    SYNC = "sync"
    """The upstream logs, through `videorec sync` (or a demo/MovieLens import)."""
    API = "api"
    """`POST /events`, in real time."""


class Interaction(Base):
    """One engagement event, from the upstream logs or from `POST /events`.

    `(kind, upstream_id)` is unique, which makes re-ingesting a page a no-op; events posted to the
    API have no upstream id and are made idempotent by the client's event id
    (`client_event_id`, unique) instead. `user_id` and
    `post_id` are deliberately not foreign keys: the logs reference users and posts that are
    unknown (deleted, or not synced yet), and those rows are kept and counted as orphans.
    """

    __tablename__ = "interactions"
    __table_args__ = (
        UniqueConstraint("kind", "upstream_id"),
        CheckConstraint("rating IS NULL OR (rating >= 0 AND rating <= 100)", name="rating_range"),
        Index("ix_interactions_user_id_occurred_at", "user_id", "occurred_at"),
        Index("ix_interactions_post_id_kind", "post_id", "kind"),
        Index("ix_interactions_occurred_at", "occurred_at"),
        Index("ix_interactions_source_id", "source", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    upstream_id: Mapped[int | None] = mapped_column(BigInteger)
    """The upstream log's id; NULL for events posted to the API."""
    user_id: Mapped[int] = mapped_column(BigInteger)
    post_id: Mapped[int] = mapped_column(BigInteger)
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    """0-100 for kind=rating, else NULL."""
    occurred_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(
        String(16), default=EventSource.SYNC.value, server_default=EventSource.SYNC.value
    )
    """An `EventSource` value."""
    client_event_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    """The id the client gave the event in `POST /events`; a resent event is skipped."""
