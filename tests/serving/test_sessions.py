"""Feed sessions under concurrency, in PostgreSQL and in the real Redis (db 15)."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import PostgresFactory, fresh_database_url
from tests.serving import world
from videorec.errors import InvalidCursor
from videorec.features.text import EmbeddingCache
from videorec.kit.cursor import decode_cursor, encode_cursor
from videorec.kit.db import make_engine, make_sessionmaker
from videorec.kit.time import utc_now
from videorec.serving.config import load_feed_config
from videorec.serving.context import FeedRequest
from videorec.serving.feed import FeedService
from videorec.serving.registry import PipelineRegistry
from videorec.serving.sessions import (
    CachedSessionStore,
    RecentSessions,
    RedisSessionStore,
    SqlSessionStore,
)
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

    def test_a_load_says_how_long_the_session_has_left(self, redis_store) -> None:
        redis_store.create("s2", "k", {"pages": []}, 60)
        loaded = redis_store.load_expiring("s2")
        assert loaded is not None
        assert loaded[:2] == (0, {"pages": []})
        assert 55 < loaded[2] <= 60
        assert redis_store.load_expiring("missing") is None


class TestSqlStoreExpiry:
    def test_a_load_says_how_long_the_session_has_left(self, session: Session) -> None:
        store = SqlSessionStore(session)
        store.create("s", "k", {"pages": []}, ttl_s=60)
        loaded = store.load_expiring("s")
        assert loaded is not None
        assert loaded[:2] == (0, {"pages": []})
        assert 55 < loaded[2] <= 60


class TestExpiredSessionsArePurged:
    def test_creating_a_session_deletes_expired_ones(self, session: Session) -> None:
        now = utc_now()
        feed_sessions.create(session, id="old", key="k", data={}, expires_at=now - timedelta(1))
        feed_sessions.create(session, id="live", key="k", data={}, expires_at=now + timedelta(1))
        SqlSessionStore(session, purge_every=1).create("new", "k", {"ids": []}, ttl_s=60)
        left = set(session.scalars(select(FeedSession.id)))
        assert left == {"live", "new"}


class _CountingStore:
    """A dict-backed store that counts its reads (the shared database of two processes); every
    session has `left_s` seconds to live when read."""

    def __init__(self, left_s: float = 60.0) -> None:
        self.rows: dict[str, tuple[int, dict]] = {}
        self.loads = 0
        self.left_s = left_s

    def create(self, session_id: str, key: str, data: dict, ttl_s: int) -> None:
        self.rows[session_id] = (0, data)

    def load(self, session_id: str) -> tuple[int, dict] | None:
        loaded = self.load_expiring(session_id)
        return None if loaded is None else loaded[:2]

    def load_expiring(self, session_id: str) -> tuple[int, dict, float] | None:
        self.loads += 1
        row = self.rows.get(session_id)
        return None if row is None else (*row, self.left_s)

    def compare_and_set(self, session_id: str, version: int, data: dict) -> bool:
        if self.rows[session_id][0] != version:
            return False
        self.rows[session_id] = (version + 1, data)
        return True

    def latest(self, key: str) -> str | None:
        return None


class TestRecentSessions:
    def test_a_session_written_here_is_read_back_without_the_store(self) -> None:
        shared = _CountingStore()
        store = CachedSessionStore(shared, RecentSessions())
        store.create("s", "k", {"pages": []}, ttl_s=60)
        assert store.compare_and_set("s", 0, {"pages": [[1]]})
        assert store.load("s") == (1, {"pages": [[1]]})
        assert shared.loads == 0

    def test_a_stale_copy_is_refused_by_the_store_and_then_reread(self) -> None:
        shared = _CountingStore()
        one = CachedSessionStore(shared, RecentSessions())  # two server processes
        two = CachedSessionStore(shared, RecentSessions())
        one.create("s", "k", {"pages": []}, ttl_s=60)
        assert two.load("s") == (0, {"pages": []})
        assert two.compare_and_set("s", 0, {"pages": [[2]]})
        assert not one.compare_and_set("s", 0, {"pages": [[1]]})  # one's copy was behind
        assert one.load("s") == (1, {"pages": [[2]]})
        assert shared.rows["s"] == (1, {"pages": [[2]]})

    def test_the_least_recent_session_is_dropped_past_the_bound(self) -> None:
        recent = RecentSessions(maxsize=2)
        for name in "abc":
            recent.put(name, 0, {}, expires=float("inf"))
        assert recent.get("a") is None
        assert recent.get("c") == (0, {})

    def test_an_expired_session_is_not_served_from_memory(self) -> None:
        recent = RecentSessions()
        recent.put("s", 0, {}, expires=0.0)
        assert recent.get("s") is None

    def test_a_session_read_from_the_store_is_held_only_until_the_stores_expiry(self) -> None:
        shared = _CountingStore(left_s=0.05)  # written elsewhere, 50 ms left when read here
        shared.create("s", "k", {"pages": []}, ttl_s=60)
        store = CachedSessionStore(shared, RecentSessions())
        assert store.load("s") == (0, {"pages": []})
        assert store.load("s") == (0, {"pages": []})
        assert shared.loads == 1
        time.sleep(0.1)
        del shared.rows["s"]  # the store expired it
        assert store.load("s") is None
        assert shared.loads == 2

    def test_two_processes_alternating_pages_serve_one_processs_pages(
        self, database, service
    ) -> None:
        def scroll(stores: list[RecentSessions]) -> list[list[int]]:
            pages, cursor = [], None
            for i in range(6):
                with database() as db:
                    store = CachedSessionStore(SqlSessionStore(db), stores[i % len(stores)])
                    request = FeedRequest("fan1", page_size=7, cursor=cursor)
                    page = service.page(db, store, request)
                    db.commit()
                pages.append(page.post_ids)
                cursor = page.next_cursor
            return pages

        alone = scroll([RecentSessions()])
        alternating = scroll([RecentSessions(), RecentSessions()])
        assert alternating == alone
        assert len({p for page in alone for p in page}) == 42


class TestPagesAhead:
    def test_pages_are_the_same_whether_computed_ahead_or_one_at_a_time(self, database) -> None:
        def scroll(pages_ahead: int) -> list[list[int]]:
            config = load_feed_config().model_copy(update={"pages_ahead": pages_ahead})
            service = FeedService(PipelineRegistry(config, EmbeddingCache().encode), config,
                                  b"test-secret")  # fmt: skip
            pages, request = [], FeedRequest("fan2", page_size=6)
            for _ in range(7):
                with database() as db:
                    page = service.page(db, SqlSessionStore(db), request)
                    db.commit()
                pages.append(page.post_ids)
                request = FeedRequest("fan2", cursor=page.next_cursor)
            return pages

        one_at_a_time = scroll(0)
        assert scroll(2) == one_at_a_time == scroll(5)
        assert len({p for page in one_at_a_time for p in page}) == 42

    def test_pages_opened_with_the_session_equal_the_pages_computed_from_its_ids(
        self, database, service
    ) -> None:
        # `page=3` opens a session with its first three pages (from its ranking's rows); a
        # scroll computes pages 2 and 3 later, from the stored post ids.
        for user in ("fan2", "fan3", "nobody-new"):
            with database() as db:
                opened = service.page(db, SqlSessionStore(db), FeedRequest(user, page_size=6,
                                                                           page=3))  # fmt: skip
                db.rollback()
            request, scrolled = FeedRequest(user, page_size=6), []
            for _ in range(3):
                with database() as db:
                    page = service.page(db, SqlSessionStore(db), request)
                    db.commit()
                scrolled.append(page.post_ids)
                request = FeedRequest(user, cursor=page.next_cursor)
            assert opened.post_ids == scrolled[2]
            assert len(opened.post_ids) == 6

    def test_a_page_in_memory_is_the_page_the_store_serves(self, database, service) -> None:
        recent = RecentSessions()
        with database() as db:
            store = CachedSessionStore(SqlSessionStore(db), recent)
            first = service.page(db, store, FeedRequest("fan3", page_size=5))
            second = service.page(db, store, FeedRequest("fan3", cursor=first.next_cursor))
            db.commit()
        third = FeedRequest("fan3", cursor=second.next_cursor)
        session_id = decode_cursor(first.next_cursor, secret=service.secret)["s"]
        fifth = FeedRequest("fan3", cursor=encode_cursor(
            {"s": session_id, "p": 5, "u": "fan3"}, secret=service.secret, ttl_s=60))  # fmt: skip
        in_memory = service.page_in_memory(recent, third)
        assert service.page_in_memory(recent, fifth) is None  # not computed yet
        assert service.page_in_memory(RecentSessions(), third) is None  # another process
        with database() as db:
            stored = service.page(db, SqlSessionStore(db), third)
        assert in_memory == stored
        with pytest.raises(InvalidCursor):
            service.page_in_memory(recent, FeedRequest("fan3", cursor="a.b"))
