from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from videorec.storage.base import Base


class Topic(Base):
    """A topic (API.md §11); `project_code` is what the 2025 feed filter `project_code=` matches."""

    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(default="")
    image_url: Mapped[str] = mapped_column(String(1024), default="")
    slug: Mapped[str] = mapped_column(String(255), default="")
    is_public: Mapped[bool] = mapped_column(default=True)
    project_code: Mapped[str | None] = mapped_column(String(64), index=True)
    posts_count: Mapped[int] = mapped_column(default=0)
    language: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime | None]
    owner: Mapped[dict[str, Any] | None]
