from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from videorec.kit.time import utc_now
from videorec.storage.base import Base


class ApiKey(Base):
    """A client's API key: only its SHA-256 is stored, found by its public `prefix`.

    `scopes` lists what it may do (`feed:read`, `events:write`, `admin`); a revoked key keeps its
    row (with `revoked_at`) so its name cannot be reused by accident and the audit trail stays.
    """

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
