from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from videorec.storage.base import Base


class SyncState(Base):
    """Where the sync of one upstream resource stands; written with its page, atomically."""

    __tablename__ = "sync_state"

    resource: Mapped[str] = mapped_column(String(64), primary_key=True)
    next_page: Mapped[int] = mapped_column(default=1)
    """The next upstream page to fetch; a rerun resumes here."""
    page_size: Mapped[int | None]
    """The page size `next_page` counts in (NULL for rows written before it was recorded)."""
    items_seen: Mapped[int] = mapped_column(default=0)
    last_synced_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    """Set when the resource reached its empty page; cleared when a new pass starts."""
