from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from videorec.kit.time import utc_now
from videorec.storage.base import Base, BigIntPK


class QuarantinedItem(Base):
    """An upstream item that failed validation, kept verbatim with the reason.

    `fingerprint` (a hash of the raw item) makes re-quarantining the same item on a rerun a no-op.
    """

    __tablename__ = "quarantined_items"
    __table_args__ = (UniqueConstraint("source", "fingerprint"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(64), index=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    raw: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
