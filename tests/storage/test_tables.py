"""Constraints that the ingestion relies on, checked on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tests.factories import create_category, create_interaction, create_post
from videorec.storage.repositories import posts
from videorec.storage.tables import Post


class TestInteractionConstraints:
    def test_same_kind_and_upstream_id_is_rejected(self, session: Session) -> None:
        create_interaction(session, user_id=1, post_id=2, upstream_id=77)
        with pytest.raises(IntegrityError):
            create_interaction(session, user_id=1, post_id=2, upstream_id=77)

    def test_same_upstream_id_of_another_kind_is_allowed(self, session: Session) -> None:
        create_interaction(session, user_id=1, post_id=2, upstream_id=78, kind="view")
        create_interaction(session, user_id=1, post_id=2, upstream_id=78, kind="like")

    def test_rating_outside_0_100_is_rejected(self, session: Session) -> None:
        with pytest.raises(IntegrityError):
            create_interaction(session, user_id=1, post_id=2, kind="rating", rating=101)

    def test_orphan_user_and_post_are_kept(self, session: Session) -> None:
        row = create_interaction(session, user_id=999_999, post_id=888_888)
        assert row.id is not None


class TestPostJsonColumns:
    def test_post_summary_and_mood_terms_round_trip(self, session: Session) -> None:
        summary = {"emotions": {"conveyed": ["joy"]}, "keywords": [{"keyword": "x", "weight": 3}]}
        post = create_post(session, post_summary=summary, mood_terms=["joy", "calm"])
        session.expire_all()
        loaded = session.scalars(select(Post).where(Post.id == post.id)).unique().one()
        assert loaded.post_summary == summary
        assert loaded.mood_terms == ["joy", "calm"]


class TestPostsRepository:
    def test_list_page_orders_by_id_and_flags_more(self, session: Session) -> None:
        category = create_category(session)
        for pid in (30, 10, 20):
            create_post(session, id=pid, category=category)
        first, more = posts.list_page(session, page=1, page_size=2)
        second, more_after = posts.list_page(session, page=2, page_size=2)
        assert [p.id for p in first] == [10, 20]
        assert more is True
        assert [p.id for p in second] == [30]
        assert more_after is False
