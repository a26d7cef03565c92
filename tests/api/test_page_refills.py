"""Scroll pages computed off the request path (`api/page_refills.py`), with the production
request session: after each answered page the next ones are stored and held in memory."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.api.test_request_session import _app, committed_engine  # noqa: F401 (a fixture)
from videorec.api.page_refills import PageRefills
from videorec.features.text import EmbeddingCache


def _settle(refills: PageRefills) -> None:
    """Wait until no refill is pending (generous: this only waits, it asserts no speed)."""
    deadline = time.monotonic() + 60
    while refills.pending() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert refills.pending() == 0


def _scroll(client: TestClient, username: str, settle: bool) -> list[list[int]]:
    refills = client.app.state.page_refills  # type: ignore[attr-defined]
    pages, params = [], {"username": username, "page_size": 6}
    for _ in range(9):
        body = client.get("/feed", params=params).json()
        pages.append([post["id"] for post in body["post"]])
        if settle:
            _settle(refills)
        params = {"username": username, "cursor": body["next_cursor"]}
    return pages


def test_after_the_second_page_every_page_is_held(
    committed_engine: Engine,  # noqa: F811
    tmp_path,
    text_cache: EmbeddingCache,
) -> None:
    """Page 1 starts no refill (a first page may be the only one); page 2 computes pages 2-4
    and starts a refill, which stores the rest of the pool (`refill_pages`), and from then on
    each page is answered from memory: one refill for the whole scroll."""
    with TestClient(_app(committed_engine, tmp_path, text_cache)) as client:
        service = client.app.state.feed  # type: ignore[attr-defined]
        refills = client.app.state.page_refills  # type: ignore[attr-defined]
        params = {"username": "fan1", "page_size": 6}
        pages: list[list[int]] = []
        for _ in range(2):
            body = client.get("/feed", params=params).json()
            assert refills.started == len(pages)  # a refill after page 2, none after page 1
            pages.append([p["id"] for p in body["post"]])
            params = {"username": "fan1", "cursor": body["next_cursor"]}
            _settle(refills)
        real_page, service.page = service.page, None  # any page on the request path would fail
        try:
            for _ in range(7):
                response = client.get("/feed", params=params)
                assert response.status_code == 200
                pages.append([p["id"] for p in response.json()["post"]])
                params = {"username": "fan1", "cursor": response.json()["next_cursor"]}
                _settle(refills)
        finally:
            service.page = real_page
        assert refills.started == 1
    flat = [p for page in pages for p in page]
    assert len(flat) == len(set(flat)) == 54


@pytest.mark.parametrize(
    ("pages_ahead", "refill_pages", "settle"),
    [(2, 16, True), (2, 16, False), (5, 16, True), (1, 3, True), (1, 3, False), (5, 2, True)],
)
def test_refilled_pages_are_the_pages_computed_one_at_a_time(
    committed_engine: Engine,  # noqa: F811
    tmp_path,
    text_cache: EmbeddingCache,
    pages_ahead: int,
    refill_pages: int,
    settle: bool,
) -> None:
    """Refills let each page wait for them (`settle`) or race them (the next cursor comes at
    once, as a fast client's does): the same pages either way, with one refill for the rest of
    the scroll, (`refill_pages` 3) a refill every other page, or (`refill_pages` 2 under
    `pages_ahead` 5) one refill of 2 x `pages_ahead`, as before `refill_pages` existed (a config
    with a large `pages_ahead` refills as it did)."""
    with TestClient(_app(committed_engine, tmp_path, text_cache)) as client:
        service = client.app.state.feed  # type: ignore[attr-defined]
        service.config = service.config.model_copy(update={"pages_ahead": 0})  # no refills
        one_at_a_time = _scroll(client, "fan3", settle=False)
    with TestClient(_app(committed_engine, tmp_path, text_cache)) as client:
        service = client.app.state.feed  # type: ignore[attr-defined]
        service.config = service.config.model_copy(
            update={"pages_ahead": pages_ahead, "refill_pages": refill_pages}
        )
        assert _scroll(client, "fan3", settle=settle) == one_at_a_time
        if settle:  # each refill ran to its end before the next page: their number is known
            # after page 2 only; refill_pages 3: after pages 2, 4, 6 and 8; 2 under pages_ahead
            # 5: up to 2 x 5 ahead, after pages 2 and 7
            expected = {3: 4, 2: 2}.get(refill_pages, 1)
            assert client.app.state.page_refills.started == expected  # type: ignore[attr-defined]
    assert len({p for page in one_at_a_time for p in page}) == 54


def test_one_refill_per_session_and_at_most_max_pending() -> None:
    """Bounds, and who waits for whom: a request waits for its session's refill only once that
    refill's thread runs; one still queued behind another session's is cancelled (the request
    computes its page itself); shutdown cancels the queued ones and waits for the running one."""
    import threading

    import anyio

    release, began = threading.Event(), threading.Event()
    ran: list[str] = []

    def work(name: str) -> None:
        began.set()
        release.wait(10)
        ran.append(name)

    async def main() -> None:
        refills = PageRefills(max_pending=3)  # one worker thread
        assert refills.start("a", lambda: work("a"))
        assert not refills.start("a", lambda: work("a again"))  # a's refill is pending
        assert refills.start("b", lambda: work("b"))
        assert refills.start("c", lambda: work("c"))
        assert not refills.start("d", lambda: work("d"))  # three pending already
        assert refills.pending() == 3
        with anyio.fail_after(10):
            while not began.is_set():  # a's thread runs; b and c wait for the one thread
                await anyio.sleep(0.01)
        assert not await refills.wait("b")  # queued: cancelled, not waited for
        assert not await refills.wait("nothing pending")
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(refills.close)  # cancels c, then waits for a
            await anyio.sleep(0.05)
            assert refills.pending() == 1
            release.set()
        assert refills.pending() == 0
        assert not refills.start("e", lambda: work("e"))  # closed: no more refills

    anyio.run(main)
    assert ran == ["a"]


def test_a_refill_cancelled_before_its_task_ran_ends_and_shutdown_returns() -> None:
    """Shutdown (or a request) right after a refill was started, in the same turn of the event
    loop, cancels a task that never ran: the session must not stay pending for good, and
    `close` must return (a server once hung on SIGTERM here)."""
    import asyncio

    import anyio

    ran: list[str] = []

    async def main() -> None:
        refills = PageRefills()
        assert refills.start("a", lambda: ran.append("a"))
        assert not await refills.wait("a")  # still queued: cancelled, before its first step
        with anyio.fail_after(5):
            while refills.pending():
                await anyio.sleep(0.01)
        assert refills.start("a", lambda: ran.append("a again"))  # the session is free again
        assert refills.start("b", lambda: ran.append("b"))
        with anyio.fail_after(5):
            await refills.close()  # same turn: cancels both before they ran
        assert refills.pending() == 0

    asyncio.run(main())
    assert ran == []


def test_a_request_waits_for_its_sessions_running_refill() -> None:
    import threading

    import anyio

    release, began = threading.Event(), threading.Event()
    ran: list[str] = []

    def work() -> None:
        began.set()
        release.wait(10)
        ran.append("a")

    async def main() -> None:
        refills = PageRefills()
        refills.start("a", work)
        with anyio.fail_after(10):
            while not began.is_set():
                await anyio.sleep(0.01)
        threading.Timer(0.05, release.set).start()
        assert await refills.wait("a")
        assert ran == ["a"]  # waited until the refill ended

    anyio.run(main)


def test_a_page_whose_commit_fails_is_not_kept_in_memory(
    committed_engine: Engine,  # noqa: F811
    tmp_path,
    text_cache: EmbeddingCache,
) -> None:
    """The process's copy of a session takes a page's write before the commit; when the commit
    fails, the copy is dropped, so the page the store never got is not served from memory."""
    from sqlalchemy import event, select
    from sqlalchemy.orm import Session

    from videorec.storage.tables import FeedSession

    def boom(session: Session) -> None:
        raise RuntimeError("commit failed")

    app = _app(committed_engine, tmp_path, text_cache)
    with TestClient(app, raise_server_exceptions=False) as client:
        service = client.app.state.feed  # type: ignore[attr-defined]
        service.config = service.config.model_copy(update={"pages_ahead": 0})  # page 2 computed
        recent = client.app.state.recent_sessions  # type: ignore[attr-defined]
        first = client.get("/feed", params={"username": "fan1", "page_size": 6}).json()
        with Session(committed_engine) as db:
            session_id, version = db.execute(select(FeedSession.id, FeedSession.version)).one()
        assert recent.get(session_id) is not None
        event.listen(Session, "before_commit", boom)
        try:
            params = {"username": "fan1", "cursor": first["next_cursor"]}
            assert client.get("/feed", params=params).status_code == 500
        finally:
            event.remove(Session, "before_commit", boom)
        with Session(committed_engine) as db:
            assert db.get(FeedSession, session_id).version == version  # rolled back
        assert recent.get(session_id) is None  # and not held here
