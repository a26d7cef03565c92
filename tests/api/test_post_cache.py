"""The presented-post cache: JSON bytes (what the feed serves, no work for the GC), and a post
withdrawn from the public feed left out."""

from __future__ import annotations

import gc

import orjson
import pytest
from sqlalchemy.orm import Session

from tests.factories import create_category, create_post
from videorec.api.post_cache import PresentedPosts
from videorec.api.presenters import present_post
from videorec.storage.repositories import posts
from videorec.storage.tables import Post


def _tracked() -> int:
    gc.collect()
    return len(gc.get_objects())


def test_cached_posts_are_the_presented_posts(session: Session) -> None:
    ids = [create_post(session, id=7000 + i, tags=["a", "b"]).id for i in range(5)]
    session.flush()
    cache, generation = PresentedPosts(), object()
    encoded = cache.get_many_encoded(session, ids, generation)
    expected = {i: present_post(p) for i, p in posts.get_many(session, ids).items()}
    assert {i: orjson.loads(raw) for i, raw in encoded.items()} == expected
    assert cache.get_many(session, ids, generation) == expected
    assert cache.encoded(ids, generation) == encoded  # held: answered without the database
    assert cache.encoded(ids, object()) is None  # another feed state: nothing held


@pytest.mark.usefixtures("settled_heap")  # another test's warm-up thread adds objects
def test_caching_posts_adds_no_objects_the_collector_walks(session: Session) -> None:
    ids = [create_post(session, id=8000 + i, tags=["a", "b"]).id for i in range(200)]
    session.flush()
    cache, generation = PresentedPosts(), object()
    cache.get_many_encoded(session, ids[:1], generation)
    before = _tracked()
    cache.get_many_encoded(session, ids, generation)
    session.expunge_all()  # the loaded ORM rows are the session's, not the cache's
    assert _tracked() - before < 200  # presented dicts kept: ~10 containers a post, 2,000 here


class TestPresentedPostsWithdrawn:
    def test_a_withdrawn_post_is_left_out_once_the_generation_changes(
        self, session: Session
    ) -> None:
        category = create_category(session)
        kept, withdrawn = (create_post(session, category=category).id for _ in range(2))
        presented, before, after = PresentedPosts(), object(), object()
        assert set(presented.get_many_encoded(session, [kept, withdrawn], before)) == {
            kept, withdrawn,
        }  # fmt: skip
        post = session.get(Post, withdrawn)
        assert post is not None
        post.is_available_in_public_feed = False  # as a sync stores it when upstream withdraws it
        session.flush()
        assert set(presented.get_many_encoded(session, [kept, withdrawn], before)) == {
            kept, withdrawn,
        }  # fmt: skip  # same generation: as fresh as the feed state
        assert set(presented.get_many_encoded(session, [kept, withdrawn], after)) == {kept}
        held = presented.encoded([kept, withdrawn], after)  # a held page: answered without I/O
        assert held is not None
        assert set(held) == {kept}
