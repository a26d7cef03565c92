from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from videorec.kit.time import utc_now
from videorec.storage.base import Base


class User(Base):
    """An app user, keyed by the upstream `/users/get_all` id."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    username: Mapped[str] = mapped_column(String(255), unique=True)
    first_name: Mapped[str] = mapped_column(String(255), default="")
    last_name: Mapped[str] = mapped_column(String(255), default="")
    role: Mapped[str | None] = mapped_column(String(16))
    user_type: Mapped[str | None] = mapped_column(String(32))
    profile_url: Mapped[str | None] = mapped_column(String(1024))
    bio: Mapped[str | None]
    is_verified: Mapped[bool] = mapped_column(default=False)
    follower_count: Mapped[int] = mapped_column(default=0)
    following_count: Mapped[int] = mapped_column(default=0)
    post_count: Mapped[int] = mapped_column(default=0)
    share_count: Mapped[int] = mapped_column(default=0)
    last_login: Mapped[datetime | None]
    raw: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """The upstream object as received, so fields we do not model yet are kept."""
    ingested_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)
