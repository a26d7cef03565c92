"""Writes and counts of quarantined upstream items."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from videorec.kit.time import utc_now
from videorec.storage.repositories.bulk import in_chunks, insert_new, unique_by
from videorec.storage.tables import QuarantinedItem


def fingerprint(item: Any) -> str:
    """A stable hash of a raw item (sorted keys), so quarantining it twice is a no-op."""
    return hashlib.sha256(_canonical(item)).hexdigest()


def quarantine(session: Session, source: str, failures: Sequence[tuple[Any, str]]) -> None:
    """Keep each `(raw item, reason)` of `source` verbatim; known items are skipped."""
    now = utc_now()
    rows = [
        {"source": source, "fingerprint": fingerprint(item),
         "raw": _canonical(item).decode(), "reason": reason[:2000], "created_at": now}
        for item, reason in failures
    ]  # fmt: skip
    insert_new(
        session,
        QuarantinedItem.__table__,  # type: ignore[arg-type]
        unique_by(rows, "source", "fingerprint"),
        keys=["source", "fingerprint"],
    )


def forget(session: Session, source: str, items: Sequence[Any]) -> None:
    """Take these raw items of `source` out of quarantine (they have since been stored)."""
    for chunk in in_chunks([fingerprint(item) for item in items]):
        stored = QuarantinedItem.source == source, QuarantinedItem.fingerprint.in_(chunk)
        session.execute(delete(QuarantinedItem).where(*stored))


def count_by_source(session: Session) -> dict[str, int]:
    """Quarantined items per source."""
    stmt = select(QuarantinedItem.source, func.count()).group_by(QuarantinedItem.source)
    return dict(session.execute(stmt).all())


def _canonical(item: Any) -> bytes:
    try:
        return orjson.dumps(item, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return repr(item).encode()


def latest(session: Session, limit: int) -> Sequence[QuarantinedItem]:
    """The `limit` most recently quarantined items, newest first (the dashboard's list)."""
    stmt = select(QuarantinedItem).order_by(QuarantinedItem.id.desc()).limit(limit)
    return session.scalars(stmt).all()
