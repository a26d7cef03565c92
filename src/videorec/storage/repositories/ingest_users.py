"""Writes of upstream users."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from videorec.storage.repositories.bulk import Row, in_chunks, unique_by, upsert
from videorec.storage.tables import User


def upsert_users(session: Session, rows: Sequence[Row]) -> None:
    """Insert or refresh users by upstream id (columns of `storage.tables.User`)."""
    upsert(session, User.__table__, unique_by(rows, "id"), keys=["id"])  # type: ignore[arg-type]


def username_owners(session: Session, usernames: Sequence[str]) -> dict[str, int]:
    """Which stored user id holds each of `usernames` (absent when none does)."""
    owners: dict[str, int] = {}
    for chunk in in_chunks(sorted(set(usernames))):
        stmt = select(User.username, User.id).where(User.username.in_(chunk))
        owners.update((name, uid) for name, uid in session.execute(stmt))
    return owners


def release_usernames(session: Session, ids: Sequence[int]) -> None:
    """Move each of these users to a placeholder username unique to it, so their names can be
    taken in the same transaction (their own rows, written next, give them their new names)."""
    for uid in ids:
        placeholder = f"~released~{uid}~{uuid.uuid4().hex}"  # no upstream user holds it
        session.execute(update(User).where(User.id == uid).values(username=placeholder))
