from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from videorec.storage.base import Base


class Category(Base):
    """A post category (the app's "project"), keyed by upstream id (2 = Vible, 28 = Mood)."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(255))
    count: Mapped[int] = mapped_column(default=0)
    description: Mapped[str] = mapped_column(default="")
    image_url: Mapped[str] = mapped_column(String(1024), default="")
