"""Queries over registered model versions; at most one is active."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from videorec.errors import NotFound
from videorec.storage.tables import ModelVersion


def register(
    session: Session, *, version: str, path: str, metrics: dict[str, Any], config: dict[str, Any]
) -> ModelVersion:
    """Add a trained, inactive model version."""
    row = ModelVersion(version=version, path=path, metrics=metrics, config=config, is_active=False)
    session.add(row)
    session.flush()
    return row


def list_all(session: Session) -> Sequence[ModelVersion]:
    """Every version, newest first."""
    stmt = select(ModelVersion).order_by(
        ModelVersion.created_at.desc(), ModelVersion.version.desc()
    )
    return session.scalars(stmt).all()


def activate(session: Session, version: str) -> ModelVersion:
    """Make `version` the only active one.

    Raises:
        NotFound: no such version is registered.
    """
    row = get(session, version)
    session.execute(update(ModelVersion).where(ModelVersion.is_active).values(is_active=False))
    row.is_active = True
    session.flush()
    return row


def get_active(session: Session) -> ModelVersion | None:
    """The active version, if any."""
    return session.scalars(select(ModelVersion).where(ModelVersion.is_active)).first()


def get(session: Session, version: str) -> ModelVersion:
    """The registered `version`.

    Raises:
        NotFound: no such version is registered.
    """
    row = session.get(ModelVersion, version)
    if row is None:
        raise NotFound(f"model version {version!r} is not registered", code="unknown_model")
    return row
