"""Keyword-only builders for test rows, with sensible defaults."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from videorec.storage.tables import Category, Interaction, Post, User

_ids = itertools.count(1)


def create_category(session: Session, *, id: int = 2, name: str = "Vible") -> Category:
    category = session.get(Category, id) or Category(
        id=id, name=name, count=0, description="All the best vibes!", image_url=""
    )
    session.add(category)
    session.flush()
    return category


def create_user(session: Session, *, id: int | None = None, username: str | None = None) -> User:
    uid = id if id is not None else next(_ids) + 10_000
    user = User(id=uid, username=username or f"user{uid}", first_name="Test", last_name="User")
    session.add(user)
    session.flush()
    return user


def create_post(
    session: Session,
    *,
    id: int | None = None,
    category: Category | None = None,
    title: str = "A post",
    created_at: datetime | None = None,
    mood_terms: list[str] | None = None,
    **fields: Any,
) -> Post:
    pid = id if id is not None else next(_ids) + 100_000
    post = Post(
        id=pid,
        category_id=category.id if category else None,
        slug=f"post-{pid}",
        title=title,
        identifier=f"id{pid}",
        owner_username="kinha",
        owner_first_name="Sachin",
        owner_last_name="Kinha",
        created_at=created_at or datetime(2025, 1, 1, 12, 0, 0),
        mood_terms=mood_terms or [],
        **fields,
    )
    session.add(post)
    session.flush()
    return post


def create_interaction(
    session: Session,
    *,
    user_id: int,
    post_id: int,
    kind: str = "view",
    rating: int | None = None,
    occurred_at: datetime | None = None,
    upstream_id: int | None = None,
) -> Interaction:
    row = Interaction(
        kind=kind,
        upstream_id=upstream_id if upstream_id is not None else next(_ids),
        user_id=user_id,
        post_id=post_id,
        rating=rating,
        occurred_at=occurred_at or datetime(2025, 1, 2, 12, 0, 0),
    )
    session.add(row)
    session.flush()
    return row
