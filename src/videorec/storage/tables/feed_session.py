from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from videorec.kit.time import utc_now
from videorec.storage.base import Base


class FeedSession(Base):
    """A snapshot of one user's ranked feed, so its pages never repeat and cursors are stable.

    `data` holds the ranked pool and the pages served so far; `version` grows on every write and
    guards concurrent writers (compare-and-set). `key` names the request it answers
    (username, filters, page size) so `page=K` requests find the latest session.
    """

    __tablename__ = "feed_sessions"
    __table_args__ = (Index("ix_feed_sessions_key_created_at", "key", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(512))
    version: Mapped[int] = mapped_column(default=0)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    expires_at: Mapped[datetime] = mapped_column(index=True)
