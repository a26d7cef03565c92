"""Feed sessions under concurrency, in PostgreSQL and in the real Redis (db 15)."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import PostgresFactory, fresh_database_url
from tests.serving import world
from videorec.features.text import EmbeddingCache
from videorec.kit.db import make_engine, make_sessionmaker
from videorec.kit.time import utc_now
from videorec.serving.config import load_feed_config
from videorec.serving.context import FeedRequest
from videorec.serving.feed import FeedService
from videorec.serving.registry import PipelineRegistry
from videorec.serving.sessions import RedisSessionStore, SqlSessionStore
from videorec.storage import migrate
from videorec.storage.repositories import feed_sessions
from videorec.storage.tables import FeedSession


@pytest.fixture(scope="module")
def database(tmp_path_factory, postgres_factory: PostgresFactory):
    """A committed PostgreSQL database with the seeded world, and a sessionmaker on it."""
    url = fresh_database_url("postgresql", tmp_path_factory.mktemp("pg"), postgres_factory)
    engine = make_engine(url, pool_size=12)
    migrate.upgrade(engine)
    makers = make_sessionmaker(engine)
    with makers.begin() as db:
        world.populate(db)
    yield makers
    engine.dispose()


@pytest.fixture(scope="module")
def service(database) -> FeedService:
    return FeedService(PipelineRegistry(load_feed_config(), EmbeddingCache().encode),
                       load_feed_config(), b"test-secret")  # fmt: skip


@pytest.fixture
def redis_store(redis_url: str):
    client = Redis.from_url(redis_url)
    prefix = f"videorec-test:{uuid.uuid4().hex[:8]}:"
    yield RedisSessionStore(client, prefix)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    client.close()


def _sql_page(database, service: FeedService, request: FeedRequest) -> list[int]:
    db: Session
    with database() as db:
        page = service.page(db, SqlSessionStore(db), request)
        db.commit()
    return page.post_ids, page.next_cursor  # type: ignore[return-value]


class TestConcurrentCursor:
    def test_racing_requests_on_one_cursor_agree_in_postgres(self, database, service) -> None:
        first, cursor = _sql_page(database, service, FeedRequest("fan0", page_size=10))
        request = FeedRequest("fan0", cursor=cursor)
        with ThreadPoolExecutor(8) as pool:
            pages = [f.result()[0] for f in [pool.submit(_sql_page, database, service, request)
                                             for _ in range(8)]]  # fmt: skip
        assert all(page == pages[0] for page in pages)
        assert len(pages[0]) == 10
        assert not set(pages[0]) & set(first)

    def test_racing_requests_on_one_cursor_agree_in_redis(self, database, service,
                                                          redis_store) -> None:  # fmt: skip
        with database() as db:
            service.registry.state(db)
            first = service.page(db, redis_store, FeedRequest("nobody", page_size=10))

        def fetch(_: int) -> list[int]:
            with database() as db:
                request = FeedRequest("nobody", cursor=first.next_cursor)
                return service.page(db, redis_store, request).post_ids

        with ThreadPoolExecutor(8) as pool:
            pages = list(pool.map(fetch, range(8)))
        assert all(page == pages[0] for page in pages)
        assert len(pages[0]) == 10
        assert not set(pages[0]) & set(first.post_ids)


class TestRedisStore:
    def test_twenty_pages_without_repeats_in_redis(self, database, service, redis_store) -> None:
        seen: list[int] = []
        request = FeedRequest("fan5", page_size=5)
        with database() as db:
            for _ in range(20):
                page = service.page(db, redis_store, request)
                seen += page.post_ids
                request = FeedRequest("fan5", cursor=page.next_cursor)
        assert len(seen) == len(set(seen)) == 100

    def test_page_numbers_find_the_latest_session(self, database, service, redis_store) -> None:
        with database() as db:
            one = service.page(db, redis_store, FeedRequest("fan6", page=1)).post_ids
            two = service.page(db, redis_store, FeedRequest("fan6", page=2)).post_ids
            again = service.page(db, redis_store, FeedRequest("fan6", page=2)).post_ids
        assert two == again
        assert not set(one) & set(two)

    def test_compare_and_set_refuses_a_stale_version(self, redis_store) -> None:
        redis_store.create("s1", "k", {"pages": []}, 60)
        assert redis_store.compare_and_set("s1", 0, {"pages": [[1]]})
        assert not redis_store.compare_and_set("s1", 0, {"pages": [[2]]})
        assert redis_store.load("s1") == (1, {"pages": [[1]]})
        assert redis_store.latest("k") == "s1"


class TestExpiredSessionsArePurged:
    def test_creating_a_session_deletes_expired_ones(self, session: Session) -> None:
        now = utc_now()
        feed_sessions.create(session, id="old", key="k", data={}, expires_at=now - timedelta(1))
        feed_sessions.create(session, id="live", key="k", data={}, expires_at=now + timedelta(1))
        SqlSessionStore(session, purge_every=1).create("new", "k", {"ids": []}, ttl_s=60)
        left = set(session.scalars(select(FeedSession.id)))
        assert left == {"live", "new"}
