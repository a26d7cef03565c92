"""Per-request reads of the feed: who the user is, what they did, which posts a filter allows.

The two per-request reads select table columns (Core), not ORM attributes: the ORM's statement
handling cost more than the queries themselves on SQLite.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from typing import Any, NamedTuple

import numpy as np
from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.orm import Session

from videorec.features.log import KIND_CODES, InteractionLog
from videorec.storage.tables import Category, Interaction, ModelVersion, Post, Topic, User

USERS: Table = User.__table__  # type: ignore[assignment]
EVENTS: Table = Interaction.__table__  # type: ignore[assignment]


_USER_BY_NAME = select(USERS.c.id).where(USERS.c.username == bindparam("name"))
_USER_BY_ID = select(USERS.c.id).where(USERS.c.id == bindparam("uid"))
_HISTORY = (
    select(EVENTS.c.post_id, EVENTS.c.kind, EVENTS.c.rating, EVENTS.c.occurred_at)
    .where(EVENTS.c.user_id == bindparam("uid"))
    .order_by(EVENTS.c.occurred_at.desc(), EVENTS.c.id.desc())
    .limit(bindparam("n"))
)
_USER_AND_HISTORY = (
    select(USERS.c.id, EVENTS.c.post_id, EVENTS.c.kind, EVENTS.c.rating, EVENTS.c.occurred_at)
    .select_from(USERS.outerjoin(EVENTS, EVENTS.c.user_id == USERS.c.id))
    .where(USERS.c.username == bindparam("name"))
    .order_by(EVENTS.c.occurred_at.desc(), EVENTS.c.id.desc())
    .limit(bindparam("n"))
)
"""Statements built once, run with parameters: building them per request cost a quarter of
each read."""


def find_user_id(session: Session, username: str) -> int | None:
    """The upstream id of `username` (a numeric username is also tried as a known id)."""
    found = session.scalar(_USER_BY_NAME, {"name": username})
    if found is None and username.isdigit() and len(username) < 19:
        found = session.scalar(_USER_BY_ID, {"uid": int(username)})
    return None if found is None else int(found)


def user_and_history(
    session: Session, username: str, limit: int
) -> tuple[int | None, InteractionLog]:
    """`find_user_id` and that user's `user_history`, in one round trip for a username."""
    rows = session.execute(_USER_AND_HISTORY, {"name": username, "n": limit}).all()
    if not rows:  # perhaps a numeric username given as an id
        user_id = find_user_id(session, username)
        return user_id, (InteractionLog.empty() if user_id is None
                         else user_history(session, user_id, limit))  # fmt: skip
    user_id = int(rows[0][0])
    return user_id, _history(user_id, [r[1:] for r in rows if r[1] is not None][::-1])


def user_history(session: Session, user_id: int, limit: int) -> InteractionLog:
    """The user's `limit` most recent events, oldest first."""
    rows = session.execute(_HISTORY, {"uid": user_id, "n": limit}).all()[::-1]
    return _history(user_id, rows)


def _history(user_id: int, rows: Sequence[Sequence[Any]]) -> InteractionLog:
    """Rows of (post id, kind, rating, time), oldest first, as an `InteractionLog`."""
    if not rows:
        return InteractionLog.empty()
    n = len(rows)
    return InteractionLog(
        user_ids=np.full(n, user_id, dtype=np.int64),
        post_ids=np.asarray([r[0] for r in rows], dtype=np.int64),
        kinds=np.asarray([KIND_CODES[r[1]] for r in rows], dtype=np.int8),
        ratings=np.asarray([np.nan if r[2] is None else r[2] for r in rows], dtype=np.float32),
        timestamps=np.asarray(
            [int(r[3].replace(tzinfo=UTC).timestamp()) for r in rows], dtype=np.int64
        ),
    )


def recently_active_users(
    session: Session, limit: int, scan: int | None = None
) -> list[tuple[int, str]]:
    """(id, username) of up to `limit` users whose latest event is the newest, newest first,
    among the last `scan` events (default 20 x `limit`: a bounded read of the log's end)."""
    recent = (
        select(EVENTS.c.user_id, EVENTS.c.id)
        .order_by(EVENTS.c.id.desc())
        .limit(scan if scan is not None else 20 * limit)
        .subquery()
    )
    latest = (
        select(recent.c.user_id, func.max(recent.c.id).label("last"))
        .group_by(recent.c.user_id)
        .order_by(func.max(recent.c.id).desc())
        .limit(limit)
        .subquery()
    )
    rows = session.execute(
        select(USERS.c.id, USERS.c.username)
        .join(latest, latest.c.user_id == USERS.c.id)
        .order_by(latest.c.last.desc())
    ).all()
    return [(int(i), str(name)) for i, name in rows]


def newest_users(session: Session, limit: int) -> list[tuple[int, str]]:
    """(id, username) of the `limit` users with the largest ids (the latest to sign up)."""
    rows = session.execute(select(USERS.c.id, USERS.c.username).order_by(USERS.c.id.desc())
                           .limit(limit)).all()  # fmt: skip
    return [(int(i), str(name)) for i, name in rows]


def usernames(session: Session, user_ids: Sequence[int]) -> dict[int, str]:
    """Username by user id, for the ids that exist."""
    if not user_ids:
        return {}
    rows = session.execute(select(USERS.c.id, USERS.c.username).where(USERS.c.id.in_(user_ids)))
    return {int(i): str(name) for i, name in rows}


def project_post_ids(session: Session, project_code: str) -> list[int]:
    """Ids of the posts whose topic belongs to `project_code`."""
    stmt = select(Post.id).join(Topic, Post.topic_id == Topic.id)
    return list(session.scalars(stmt.where(Topic.project_code == project_code)))


class Watermark(NamedTuple):
    """What the feed state was built from; a change of any field means it is stale."""

    last_event: int
    """The largest event id (events are only appended)."""
    posts: int
    """How many posts are stored (posts are never deleted)."""
    posts_written: str | None
    """The latest `ingested_at` of a post: an upstream edit of a stored post (title,
    category, availability) keeps the count but moves this (ISO text; None: no posts)."""
    model_version: str | None
    """The active model version."""

    @property
    def data(self) -> tuple[int, int, str | None]:
        """The fields that shape the catalogue and log statistics (not the model)."""
        return self.last_event, self.posts, self.posts_written


def watermark(session: Session) -> Watermark:
    """The `Watermark` of the stored data: two index lookups (the largest event id, the latest
    `ix_posts_ingested_at`) and the post count (a scan of the posts on PostgreSQL)."""
    last_event = session.scalar(select(func.max(Interaction.id))) or 0
    posts = session.scalar(select(func.count()).select_from(Post)) or 0
    written = session.scalar(select(func.max(Post.ingested_at)))
    return Watermark(int(last_event), int(posts), None if written is None else written.isoformat(),
                     active_model(session)[0])  # fmt: skip


def active_model(session: Session) -> tuple[str | None, str | None]:
    """(version, artifact path) of the active model; (None, None) when there is none."""
    row = session.execute(
        select(ModelVersion.version, ModelVersion.path).where(ModelVersion.is_active)
    ).first()
    return (None, None) if row is None else (row[0], row[1])


def category_names(session: Session) -> dict[int, str]:
    """Category id -> name."""
    return {
        int(cid): str(name) for cid, name in session.execute(select(Category.id, Category.name))
    }
