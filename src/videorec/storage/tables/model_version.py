from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from videorec.kit.time import utc_now
from videorec.storage.base import Base


class ModelVersion(Base):
    """A trained model artifact registered by `videorec train`; at most one is active."""

    __tablename__ = "model_versions"

    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    path: Mapped[str] = mapped_column(String(1024))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    is_active: Mapped[bool] = mapped_column(default=False, index=True)
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
