"""Presented posts are cached as JSON bytes: what the feed serves, and no work for the GC."""

from __future__ import annotations

import gc

import orjson
from sqlalchemy.orm import Session

from tests.factories import create_post
from videorec.api.post_cache import PresentedPosts
from videorec.api.presenters import present_post
from videorec.storage.repositories import posts


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


def test_caching_posts_adds_no_objects_the_collector_walks(session: Session) -> None:
    ids = [create_post(session, id=8000 + i, tags=["a", "b"]).id for i in range(200)]
    session.flush()
    cache, generation = PresentedPosts(), object()
    cache.get_many_encoded(session, ids[:1], generation)
    before = _tracked()
    cache.get_many_encoded(session, ids, generation)
    session.expunge_all()  # the loaded ORM rows are the session's, not the cache's
    assert _tracked() - before < 20  # presented dicts kept: ~10 containers a post, 2,000 here
