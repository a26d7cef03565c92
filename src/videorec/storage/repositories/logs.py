"""Bulk reads of the interaction log and the post catalogue into column arrays."""

from __future__ import annotations

from datetime import UTC

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
    """Every stored post, ordered by id."""
    posts = session.scalars(select(Post).order_by(Post.id)).unique().all()
    return PostCatalog(
        post_ids=np.asarray([p.id for p in posts], dtype=np.int64),
        category_ids=np.asarray([p.category_id or -1 for p in posts], dtype=np.int64),
        creators=[p.owner_username for p in posts],
        created_at=np.asarray([_epoch(p) for p in posts], dtype=np.int64),
        texts=[post_text(p) for p in posts],
        mood_terms=[list(p.mood_terms or []) for p in posts],
        counters={
            name: np.asarray([getattr(p, name) or 0 for p in posts], dtype=np.float32)
            for name in COUNTERS
        },
        public=np.asarray([p.is_available_in_public_feed for p in posts], dtype=bool),
    )


def _epoch(post: Post) -> int:
    return int(post.created_at.replace(tzinfo=UTC).timestamp()) if post.created_at else -1


def post_text(post: Post) -> str:
    """The text a post is embedded from: title, analysed description, genre, keywords, moods."""
    summary = post.post_summary or {}
    parts = [post.title or ""]
    for key in ("description", "genre"):
        value = summary.get(key)
        if isinstance(value, str):
            parts.append(value[:500])
    keywords = summary.get("keywords")
    if isinstance(keywords, list):
        parts.extend(k["keyword"] for k in keywords if isinstance(k, dict) and k.get("keyword"))
    parts.extend(post.mood_terms or [])
    return " | ".join(part for part in parts if part).strip()


def count_interactions(session: Session) -> int:
    """How many interactions are stored."""
    return session.scalar(select(func.count()).select_from(Interaction)) or 0
