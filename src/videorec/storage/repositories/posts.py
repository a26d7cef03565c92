"""Queries over posts."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from videorec.storage.tables import Post


def list_page(session: Session, *, page: int, page_size: int) -> tuple[Sequence[Post], bool]:
    """One page of every post, in a stable order (ascending id).

    Args:
        page: 1-based page number.
        page_size: posts per page.

    Returns:
        The posts of the page and whether another page follows.
    """
    stmt = select(Post).order_by(Post.id).offset((page - 1) * page_size).limit(page_size + 1)
    rows = session.scalars(stmt).unique().all()
    return rows[:page_size], len(rows) > page_size


_POSTS_BY_ID = select(Post).where(Post.id.in_(bindparam("ids", expanding=True)))
"""Built once (an expanding IN): `/feed` loads the posts of every page it presents."""


def get_many(session: Session, post_ids: Sequence[int]) -> dict[int, Post]:
    """Posts by id; ids that do not exist are absent from the result."""
    if not post_ids:
        return {}
    rows = session.scalars(_POSTS_BY_ID, {"ids": list(post_ids)}).unique().all()
    return {post.id: post for post in rows}


def count(session: Session) -> int:
    """How many posts are stored."""
    return session.scalar(select(func.count()).select_from(Post)) or 0
