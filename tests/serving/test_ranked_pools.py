"""Ranked pools reused by a user's next new session while their history and the state hold."""

from __future__ import annotations

import dataclasses
import gc
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.serving import world
from videorec.features.text import EmbeddingCache
from videorec.serving import feed as feed_module
from videorec.serving.candidates import Candidate, CandidateSource, FeedContext, default_sources
from videorec.serving.config import load_feed_config
from videorec.serving.context import FeedRequest, build_context
from videorec.serving.feed import FeedService
from videorec.serving.ranked_pools import RankedPools
from videorec.serving.ranking import Ranked
from videorec.serving.registry import PipelineRegistry
from videorec.serving.sessions import (
    CachedSessionStore,
    RecentSessions,
    Snapshot,
    SqlSessionStore,
)
from videorec.serving.user_changes import UserChanges
from videorec.storage.tables import Interaction, Post, Topic


class Counted:
    """A source that counts its fetches."""

    def __init__(self, source: CandidateSource, calls: list[str]) -> None:
        self.source, self.calls, self.name = source, calls, source.name

    def fetch(self, ctx: FeedContext, limit: int) -> Sequence[Candidate]:
        self.calls.append(self.name)
        return self.source.fetch(ctx, limit)


def _service(pools: RankedPools | None) -> tuple[FeedService, list[str]]:
    config, calls = load_feed_config(), []
    sources: list[CandidateSource] = [Counted(s, calls) for s in default_sources()]
    registry = PipelineRegistry(config, EmbeddingCache().encode)
    return FeedService(registry, config, b"test-secret", sources=sources, pools=pools), calls


def _open(service: FeedService, db: Session, user: str, **filters: Any) -> Snapshot:
    """A new session's stored snapshot (its whole ranked pool and first page)."""
    store = SqlSessionStore(db)
    page = service.page(db, store, FeedRequest(user, page_size=6, **filters))
    assert page.session_id is not None
    loaded = store.load(page.session_id)
    assert loaded is not None
    return loaded[1]


def test_a_repeat_new_session_reuses_the_pool_and_stores_what_ranking_would(
    session: Session,
) -> None:
    world.populate(session)
    plain, _ = _service(None)
    cached, calls = _service(RankedPools())
    for user in ("fan2", "fan3", "nobody-new"):
        _open(cached, session, user)
        ranked_once = len(calls)
        again = _open(cached, session, user)
        assert len(calls) == ranked_once  # no source ran for the second session
        assert again == _open(plain, session, user)  # pool, scores, reasons, first page


def test_a_filtered_new_session_is_not_served_the_unfiltered_pool(session: Session) -> None:
    world.populate(session)
    plain, _ = _service(None)
    cached, _ = _service(RankedPools())
    ids = list(world.CATEGORIES)
    _open(cached, session, "fan2")  # the unfiltered pool is held first
    for category in ids:
        assert _open(cached, session, "fan2", category_id=category) == _open(
            plain, session, "fan2", category_id=category
        )
    session.add(Topic(id=9, name="Flic", project_code="flic"))
    session.flush()
    for post in session.scalars(select(Post).where(Post.id.in_(range(1000, 1030)))):
        post.topic_id = 9
    session.flush()
    session.expire_all()
    _open(cached, session, "fan2")  # held again: another pool with the same user and history
    assert _open(cached, session, "fan2", project_code="flic") == _open(
        plain, session, "fan2", project_code="flic"
    )


def test_an_event_changes_the_next_new_sessions_pool(session: Session) -> None:
    world.populate(session)
    service, calls = _service(RankedPools())
    before = _open(service, session, "fan2")
    liked = before["ids"][0]
    session.add(Interaction(kind="like", upstream_id=999_999, user_id=50_002, post_id=liked,
                            occurred_at=datetime(2030, 1, 1)))  # fmt: skip
    session.flush()
    ranked_once = len(calls)
    after = _open(service, session, "fan2")
    assert len(calls) > ranked_once  # ranked again: the history changed
    assert liked not in after["ids"]  # an engaged post is left out, as without the cache


def test_a_new_feed_state_drops_the_held_pools(session: Session) -> None:
    world.populate(session)
    service, _ = _service(None)
    state = service.registry.state(session)
    ranked = Ranked(*(state.index.post_ids[:0],) * 3, [])  # type: ignore[arg-type]
    pools = RankedPools()
    key = (1, None, None, b"h")
    pools.put(state, key, ranked)
    assert pools.get(state, key) is ranked
    refreshed = dataclasses.replace(state)  # a rebuilt state: another object
    assert pools.get(refreshed, key) is None
    pools.put(refreshed, (2, None, None, b"h"), ranked)
    assert len(pools) == 1
    assert pools.get(state, key) is None


def test_the_least_recently_used_pool_is_dropped_past_the_bound(session: Session) -> None:
    world.populate(session)
    service, _ = _service(None)
    state = service.registry.state(session)
    ranked = Ranked(*(state.index.post_ids[:0],) * 3, [])  # type: ignore[arg-type]
    pools = RankedPools(maxsize=2)
    first, second, third = ((u, None, None, b"h") for u in (1, 2, 3))
    pools.put(state, first, ranked)
    pools.put(state, second, ranked)
    assert pools.get(state, first) is ranked  # now the most recent
    pools.put(state, third, ranked)
    assert pools.get(state, second) is None
    assert pools.get(state, first) is ranked
    assert pools.get(state, third) is ranked


def test_a_held_pools_reasons_are_not_walked_by_the_collector(session: Session) -> None:
    world.populate(session)
    pools = RankedPools()
    service, _ = _service(pools)
    _open(service, session, "fan2")
    gc.collect()
    (held,) = pools._held.pools.values()
    assert len(held.reasons) > 0
    assert not gc.is_tracked(held.reasons)  # a list of them would be, in every full collection


def test_a_pool_ranked_on_a_replaced_state_keeps_the_new_states_pools(
    session: Session,
) -> None:
    world.populate(session)
    pools = RankedPools()
    service, _ = _service(pools)
    old = service.registry.state(session)
    service.registry._state = new = dataclasses.replace(old)  # a refresh replaced it
    _open(service, session, "fan2")  # ranked and held in the new state
    ctx, _ = build_context(session, service.registry, old, FeedRequest("fan3"), service.config)
    service._ranked(old, ctx, False, 0)  # a request that began before the refresh ends now
    held = pools._held.state
    assert held is not None
    assert held() is new  # its pools were not emptied for the replaced state
    assert len(pools) == 1


def _watched(pools: RankedPools, session: Session) -> tuple[FeedService, UserChanges]:
    """A service whose pools are held with stamps, its change watch polled once and trusted
    however long the test runs after that poll (a slow box: `user_changes_max_age_s`)."""
    service, _ = _service(pools)
    service.config = service.config.model_copy(update={"user_changes_max_age_s": 3600.0})
    service.changes = changes = UserChanges()
    changes.poll(session)
    return service, changes


def _one_page_at_a_time(db: Session, request: FeedRequest, pages: int) -> Snapshot:
    """The stored snapshot of a session ranked from scratch whose first `pages` pages were
    each computed by its own request (`pages_ahead` 0: no opening, no page ahead)."""
    service, _ = _service(None)
    service.config = service.config.model_copy(update={"pages_ahead": 0})
    store = SqlSessionStore(db)
    page = service.page(db, store, request)
    assert page.session_id is not None
    for _ in range(pages - 1):
        page = service.page(db, store, FeedRequest(request.username, cursor=page.next_cursor))
    loaded = store.load(page.session_id)
    assert loaded is not None
    return loaded[1]


def test_a_session_opened_in_memory_is_the_session_ranking_would_open(session: Session) -> None:
    """Pool, scores, reasons and pages of a session opened from the held pool (page 1 and the
    `pages_ahead` after it, picked at once) equal those of a session ranked from scratch whose
    pages were computed one request at a time, for each seeded user and a category filter."""
    world.populate(session)
    service, _ = _watched(RankedPools(), session)
    ahead = service.config.pages_ahead
    for user, filters in [(f"fan{u}", {}) for u in range(8)] + [("fan2", {"category_id": 2})]:
        request = FeedRequest(user, page_size=6, **filters)
        assert service.open_in_memory(request) is None  # nothing held yet
        _open(service, session, user, **filters)
        opened = service.open_in_memory(request)
        assert opened is not None
        assert opened.key == request.key
        assert len(opened.snapshot["pages"]) == 1 + ahead
        expected = _one_page_at_a_time(session, request, 1 + ahead)
        assert opened.snapshot == expected
        assert opened.page.post_ids == [opened.snapshot["ids"][p]
                                        for p in opened.snapshot["pages"][0]]  # fmt: skip


def test_no_session_opens_in_memory_after_an_event_or_from_a_project_pool(
    session: Session,
) -> None:
    world.populate(session)
    pools = RankedPools()
    service, changes = _watched(pools, session)
    _open(service, session, "fan2")
    changes.touch([50_002])  # fan2's events, committed since the pool was ranked
    assert service.open_in_memory(FeedRequest("fan2")) is None
    assert service.open_in_memory(FeedRequest("fan2", project_code="flic")) is None
    session.add(Topic(id=9, name="Flic", project_code="flic"))
    session.flush()
    _open(service, session, "fan3", project_code="flic")  # held, but not as fan3's feed
    assert service.open_in_memory(FeedRequest("fan3")) is None


def test_a_cursor_waits_for_its_session_opened_elsewhere(session: Session) -> None:
    """Page 2 of a session another process opened in memory and has not stored yet: read
    again until it is stored, instead of answering "expired"."""
    world.populate(session)
    service, _ = _service(None)
    store = SqlSessionStore(session)
    first = service.page(session, store, FeedRequest("fan2", page_size=6))
    assert first.next_cursor is not None

    class Late:
        """The store as another process sees it: the session appears on the third read."""

        def __init__(self) -> None:
            self.reads = 0

        def load(self, session_id: str) -> tuple[int, Snapshot] | None:
            self.reads += 1
            return store.load(session_id) if self.reads >= 3 else None

        def __getattr__(self, name: str) -> Any:
            return getattr(store, name)

    late = Late()
    request = FeedRequest("fan2", cursor=first.next_cursor)
    second = service.page(session, late, request)  # type: ignore[arg-type]
    assert second.page == 2
    assert second.post_ids
    assert late.reads >= 3


def test_an_event_committed_while_the_history_is_read_is_not_missed(
    session: Session, monkeypatch
) -> None:
    """The stamp is taken before the history is read: an event marked just after the read (it
    committed too late for it) makes the pool stale, however soon the mark comes."""
    world.populate(session)
    service, changes = _watched(RankedPools(), session)
    real = feed_module.build_context

    def read_then_event(*args: Any, **kwargs: Any) -> Any:
        found = real(*args, **kwargs)
        changes.touch([50_002])  # fan2's event, committed after the read
        return found

    monkeypatch.setattr(feed_module, "build_context", read_then_event)
    _open(service, session, "fan2")
    assert service.open_in_memory(FeedRequest("fan2", page_size=6)) is None


def test_a_flood_of_users_seen_once_does_not_push_out_pools_ranked_ahead(
    session: Session,
) -> None:
    """Feeds ranked ahead are protected; feeds ranked once on the request path wait on
    probation (a quarter of the size) and are protected once opened a second time."""
    world.populate(session)
    service, _ = _service(None)
    state = service.registry.state(session)
    ranked = Ranked(*(state.index.post_ids[:0],) * 3, [])  # type: ignore[arg-type]
    pools = RankedPools(maxsize=8)
    pools.put(state, (1, None, None, b"a"), ranked, stamp=5, protect=True)  # ranked ahead
    pools.put(state, (2, None, None, b"b"), ranked, stamp=5)  # on probation
    assert pools.held(state, 2, None, None) is not None  # its second open: protected
    for user in range(100, 120):  # users seen once
        pools.put(state, (user, None, None, b"c"), ranked, stamp=6)
    assert pools.held(state, 1, None, None) is not None
    assert pools.held(state, 2, None, None) is not None
    assert pools.held(state, 100, None, None) is None  # pushed out by the later ones
    assert pools.held(state, 119, None, None) is not None


def test_a_refill_keeps_the_longer_session_as_the_pools_opening(session: Session) -> None:
    """After a refill stored the rest of a session's pages, the user's next session opens
    with all of them (no refill needed), and they are the pages computed one at a time."""
    world.populate(session)
    service, _ = _watched(RankedPools(), session)
    store = CachedSessionStore(SqlSessionStore(session), RecentSessions())  # as the app's
    request = FeedRequest("fan2", page_size=6)
    first = service.page(session, store, request)
    assert first.session_id is not None
    service.page(session, store, FeedRequest("fan2", cursor=first.next_cursor))  # held page 2
    service.refill(session, store, first.session_id, 2)
    opened = service.open_in_memory(request)
    assert opened is not None
    pages = len(opened.snapshot["pages"])
    assert pages > 1 + service.config.pages_ahead  # more than the opening it started with
    assert opened.snapshot == _one_page_at_a_time(session, request, pages)
    assert not opened.page.refill


def test_a_session_read_back_from_the_store_does_not_replace_the_opening(
    session: Session,
) -> None:
    """A refill of a session whose snapshot is not the opening's own (read from the store, as
    another process would) leaves the opening as it was."""
    world.populate(session)
    service, _ = _watched(RankedPools(), session)
    store = SqlSessionStore(session)
    request = FeedRequest("fan2", page_size=6)
    first = service.page(session, store, request)
    assert first.session_id is not None
    before = service.open_in_memory(request)
    assert before is not None
    service.refill(session, store, first.session_id, 2)  # a plain store: a copy from the row
    after = service.open_in_memory(request)
    assert after is not None
    assert after.snapshot is before.snapshot
