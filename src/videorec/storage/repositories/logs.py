"""Bulk reads of the interaction log and the post catalogue into column arrays."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from videorec.features.log import KIND_CODES, InteractionLog, PostCatalog
from videorec.storage.tables import Interaction, Post

COUNTERS = ("view_count", "upvote_count", "comment_count", "share_count", "rating_count",
            "average_rating", "exit_count", "bookmark_count")  # fmt: skip


def load_interactions(session: Session) -> InteractionLog:
    """Every stored interaction, ordered by time then id."""
    stmt = select(
        Interaction.user_id, Interaction.post_id, Interaction.kind,
        Interaction.rating, Interaction.occurred_at,
    ).order_by(Interaction.occurred_at, Interaction.id)  # fmt: skip
    rows = session.execute(stmt).all()
    if not rows:
        return InteractionLog.empty()
    users, posts, kinds, ratings, times = zip(*rows, strict=True)
    return InteractionLog(
        user_ids=np.asarray(users, dtype=np.int64),
        post_ids=np.asarray(posts, dtype=np.int64),
        kinds=np.asarray([KIND_CODES[k] for k in kinds], dtype=np.int8),
        ratings=np.asarray([np.nan if r is None else r for r in ratings], dtype=np.float32),
        timestamps=np.asarray([int(t.replace(tzinfo=UTC).timestamp()) for t in times], np.int64),
    )


def load_catalog(session: Session) -> PostCatalog:
    """Every stored post, ordered by id.

    Reads only the columns the catalogue needs (no ORM objects, no joined category and topic):
    at 1M posts this is what keeps building the feed state to seconds rather than a minute.
    """
    stmt = select(
        Post.id, Post.category_id, Post.owner_username, Post.created_at, Post.title,
        Post.post_summary, Post.mood_terms, Post.is_available_in_public_feed,
        *(getattr(Post, name) for name in COUNTERS),
    ).order_by(Post.id)  # fmt: skip
    rows = session.execute(stmt).all()
    columns = list(zip(*rows, strict=True)) if rows else [()] * (8 + len(COUNTERS))
    ids, categories, owners, created, titles, summaries, moods, public = columns[:8]
    return PostCatalog(
        post_ids=np.asarray(ids, dtype=np.int64),
        category_ids=np.asarray([c or -1 for c in categories], dtype=np.int64),
        creators=list(owners),
        created_at=np.asarray([_epoch(t) for t in created], dtype=np.int64),
        texts=[summary_text(*parts) for parts in zip(titles, summaries, moods, strict=True)],
        mood_terms=[list(m or []) for m in moods],
        counters={
            name: np.asarray([v or 0 for v in values], dtype=np.float32)
            for name, values in zip(COUNTERS, columns[8:], strict=True)
        },
        public=np.asarray(public, dtype=bool),
    )


def _epoch(created_at: datetime | None) -> int:
    return int(created_at.replace(tzinfo=UTC).timestamp()) if created_at else -1


def post_text(post: Post) -> str:
    """The text a post is embedded from: title, analysed description, genre, keywords, moods."""
    return summary_text(post.title, post.post_summary, post.mood_terms)


def summary_text(title: str | None, summary: dict[str, Any] | None, moods: list[str] | None) -> str:
    """The text a post is embedded from, from its parts (also used by offline evaluation)."""
    summary = summary or {}
    parts = [title or ""]
    for key in ("description", "genre"):
        value = summary.get(key)
        if isinstance(value, str):
            parts.append(value[:500])
    keywords = summary.get("keywords")
    if isinstance(keywords, list):
        parts.extend(k["keyword"] for k in keywords if isinstance(k, dict) and k.get("keyword"))
    parts.extend(moods or [])
    return " | ".join(part for part in parts if part).strip()


def count_interactions(session: Session) -> int:
    """How many interactions are stored."""
    return session.scalar(select(func.count()).select_from(Interaction)) or 0
