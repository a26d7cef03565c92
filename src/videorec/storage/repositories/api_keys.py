"""Queries over API keys. Only hashes are stored; the secret itself never reaches the database."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from videorec.errors import InvalidInput, NotFound
from videorec.kit.time import utc_now
from videorec.storage.tables import ApiKey


def add(session: Session, *, name: str, prefix: str, key_hash: str, scopes: list[str]) -> ApiKey:
    """Store a new key.

    Raises:
        InvalidInput: a key (live or revoked) already has this name.
    """
    if session.scalar(select(ApiKey.id).where(ApiKey.name == name)) is not None:
        raise InvalidInput(f"an API key named {name!r} already exists", code="duplicate_key")
    row = ApiKey(name=name, prefix=prefix, key_hash=key_hash, scopes=scopes)
    session.add(row)
    session.flush()
    return row


def find_live(session: Session, prefix: str) -> ApiKey | None:
    """The unrevoked key with this public prefix, if any."""
    stmt = select(ApiKey).where(ApiKey.prefix == prefix, ApiKey.revoked_at.is_(None))
    return session.scalars(stmt).first()


def list_all(session: Session) -> Sequence[ApiKey]:
    """Every key, revoked ones included, oldest first."""
    return session.scalars(select(ApiKey).order_by(ApiKey.id)).all()


def revoke(session: Session, name: str) -> ApiKey:
    """Mark the key named `name` revoked (idempotent).

    Raises:
        NotFound: no key has this name.
    """
    row = session.scalars(select(ApiKey).where(ApiKey.name == name)).first()
    if row is None:
        raise NotFound(f"no API key is named {name!r}", code="unknown_key")
    if row.revoked_at is None:
        row.revoked_at = utc_now()
        session.flush()
    return row
