"""Writes of upstream posts with their categories and topics."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from videorec.storage.repositories.bulk import Row, unique_by, upsert
from videorec.storage.tables import Category, Post, Topic


def upsert_posts(
    session: Session, posts: Sequence[Row], *, categories: Sequence[Row], topics: Sequence[Row]
) -> None:
    """Insert or refresh posts by id, after the categories and topics they reference; a post
    whose content did not change keeps its `ingested_at`."""
    if categories:
        upsert(session, Category.__table__, unique_by(categories, "id"), keys=["id"])  # type: ignore[arg-type]
    if topics:
        upsert(session, Topic.__table__, unique_by(topics, "id"), keys=["id"])  # type: ignore[arg-type]
    rows = unique_by(posts, "id")
    upsert(session, Post.__table__, rows, keys=["id"], stamp="ingested_at")  # type: ignore[arg-type]
