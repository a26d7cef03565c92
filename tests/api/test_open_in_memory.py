"""New sessions opened in memory (`FeedService.open_in_memory`), on an app with its own engine:
pools warmed ahead (`serving/pool_warmer.py`), sessions stored behind the answer
(`api/session_writes.py`), and events, posted here or stored by another process, honoured
(`serving/user_changes.py`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from tests.api.test_request_session import committed_engine  # noqa: F401 (a fixture)
from videorec.api.app import create_app
from videorec.features.text import EmbeddingCache
from videorec.kit.db import make_sessionmaker
from videorec.serving.config import load_feed_config
from videorec.serving.registry import PipelineRegistry
from videorec.settings import Settings
from videorec.storage.tables import FeedSession, Interaction

FAN1 = 50_001
"""`fan1`'s user id in the seeded world (`tests/serving/world.py`)."""


def _until(done: Callable[[], bool], what: str) -> None:
    """Wait until `done()` (generous: this waits, it asserts no speed)."""
    deadline = time.monotonic() + 60
    while not done():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


@contextmanager
def _client(
    engine: Engine, tmp_path, text_cache: EmbeddingCache, poll_s: float = 0.2
) -> Iterator[TestClient]:
    """The app on its own engine over `engine`'s database, its registry built in the
    background (so the pool warmer runs), once the pools are warm and a poll is done; its
    held pools trusted however late a poll is (a starved test box), polls every `poll_s`."""
    url = engine.url.render_as_string(hide_password=False)
    config = tmp_path / "feed.toml"
    config.write_text(f"user_changes_poll_s = {poll_s}\nuser_changes_max_age_s = 3600\n")
    settings = Settings(database_url=url, var_dir=tmp_path / "var", feed_config=config)
    own = make_sessionmaker(engine)
    registry = PipelineRegistry(load_feed_config(), text_cache.encode, sessionmaker=own)
    with TestClient(create_app(settings, registry=registry)) as client:
        state = client.app.state  # type: ignore[attr-defined]
        _until(lambda: state.pool_warmer.status == "warm", "the pool warmer")
        changes = state.feed.changes
        _until(lambda: changes.polled >= 1, "the first poll")
        yield client


def _ids(body: dict) -> list[int]:
    return [post["id"] for post in body["post"]]


def _no_page_on_the_request_path(client: TestClient) -> Callable[[], None]:
    """Make `FeedService.page` fail (a page computed on the request path); returns the undo."""
    service = client.app.state.feed  # type: ignore[attr-defined]
    real = service.page

    def fail(*args: object) -> None:
        raise AssertionError("a page was computed on the request path")

    service.page = fail
    return lambda: setattr(service, "page", real)


def _stored_sessions(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(FeedSession)) or 0)


def test_a_warmed_users_new_session_opens_in_memory_and_is_stored_behind_it(
    committed_engine: Engine,  # noqa: F811
    tmp_path,
    text_cache: EmbeddingCache,
) -> None:
    """Every seeded user's pool is warm: a new session of each is answered without computing a
    page on the request path, the session is stored after the answer, and its cursor scrolls."""
    with _client(committed_engine, tmp_path, text_cache) as client:
        state = client.app.state  # type: ignore[attr-defined]
        assert client.get("/ready").json()["checks"]["pools"] == "warm 8"
        undo = _no_page_on_the_request_path(client)
        firsts = [client.get("/feed", params={"username": f"fan{u}"})
                  for u in range(8)]  # fmt: skip
        undo()
        assert all(r.status_code == 200 and len(_ids(r.json())) == 20 for r in firsts)
        _until(lambda: state.session_writes.pending() == 0, "the session writes")
        assert _stored_sessions(committed_engine) == 8
        cursor = firsts[1].json()["next_cursor"]
        second = client.get("/feed", params={"username": "fan1", "cursor": cursor})
        assert second.status_code == 200
        assert not set(_ids(second.json())) & set(_ids(firsts[1].json()))


def test_an_event_posted_here_is_reflected_by_the_very_next_new_session(
    committed_engine: Engine,  # noqa: F811
    tmp_path,
    text_cache: EmbeddingCache,
) -> None:
    """The held pool holds the post `fan1` is about to view; once the view is posted, the next
    new session is ranked again without it (a view leaves the feed). No poll runs between the
    two: the post's own mark does it."""
    with _client(committed_engine, tmp_path, text_cache, poll_s=60) as client:
        first = _ids(client.get("/feed", params={"username": "fan1"}).json())
        event = {"id": "open-1", "username": "fan1", "post_id": first[0], "kind": "view"}
        assert client.post("/events", json={"events": [event]}).status_code == 200
        again = _ids(client.get("/feed", params={"username": "fan1"}).json())
        assert first[0] not in again
        assert again[0] == first[1]  # the rest of the feed as before: only the view changed it


def test_an_event_stored_by_another_process_is_reflected_after_a_poll(
    committed_engine: Engine,  # noqa: F811
    tmp_path,
    text_cache: EmbeddingCache,
) -> None:
    """A view written straight to the database (a sync, another worker) reaches the next new
    session once this process has polled for events."""
    with _client(committed_engine, tmp_path, text_cache) as client:
        changes = client.app.state.feed.changes  # type: ignore[attr-defined]
        first = _ids(client.get("/feed", params={"username": "fan1"}).json())
        with make_sessionmaker(committed_engine).begin() as db:
            db.add(Interaction(kind="view", upstream_id=990_001, user_id=FAN1, post_id=first[0],
                               occurred_at=datetime.now(UTC).replace(tzinfo=None)))  # fmt: skip
        polled = changes.polled
        _until(lambda: changes.polled >= polled + 2, "a poll after the insert")
        assert first[0] not in _ids(client.get("/feed", params={"username": "fan1"}).json())


def _hold_writes(client: TestClient) -> threading.Event:
    """Hold the session writer back until the returned event is set."""
    writes = client.app.state.session_writes  # type: ignore[attr-defined]
    gate, real_write = threading.Event(), writes.write

    def held_write(batch: list) -> None:
        gate.wait(30)
        real_write(batch)

    writes.write = held_write
    return gate


def test_a_refill_of_a_session_still_being_stored_waits_for_the_write(
    committed_engine: Engine,  # noqa: F811
    tmp_path,
    text_cache: EmbeddingCache,
) -> None:
    """Pages 1-3 of a session opened in memory are held; the refill that page 2 starts (a
    compare-and-set on the stored row) waits for the write instead of failing on a missing
    row, then stores the rest of the pool, which the scroll gets from memory."""
    with _client(committed_engine, tmp_path, text_cache) as client:
        gate = _hold_writes(client)
        state = client.app.state  # type: ignore[attr-defined]
        body = client.get("/feed", params={"username": "fan2"}).json()
        second = client.get("/feed", params={"username": "fan2", "cursor": body["next_cursor"]})
        assert second.status_code == 200
        assert state.session_writes.pending() == 1
        assert state.page_refills.pending() == 1  # started, waiting for the write
        gate.set()
        _until(lambda: state.page_refills.pending() == 0, "the refill")
        with make_sessionmaker(committed_engine)() as db:
            (pages,) = db.execute(select(FeedSession.data["pages"])).one()
        assert len(pages) > 1 + state.feed.config.pages_ahead  # the refill stored the rest
        undo = _no_page_on_the_request_path(client)
        body, seen = second.json(), _ids(body) + _ids(second.json())
        while body["next_cursor"] is not None:  # to the pool's end
            response = client.get("/feed", params={"username": "fan2",
                                                   "cursor": body["next_cursor"]})  # fmt: skip
            assert response.status_code == 200, response.text
            body = response.json()
            assert not set(_ids(body)) & set(seen)
            seen += _ids(body)
        undo()


def test_page_k_of_a_session_still_being_stored_reads_that_session(
    committed_engine: Engine,  # noqa: F811
    tmp_path,
    text_cache: EmbeddingCache,
) -> None:
    """`page=2` right after a first page opened in memory waits for its write and reads that
    session, instead of opening another."""
    with _client(committed_engine, tmp_path, text_cache) as client:
        gate = _hold_writes(client)
        params = {"username": "fan3"}
        first = client.get("/feed", params=params).json()
        assert client.app.state.session_writes.pending() == 1  # type: ignore[attr-defined]
        threading.Timer(0.3, gate.set).start()
        second = client.get("/feed", params={**params, "page": 2})
        assert second.status_code == 200, second.text
        assert not set(_ids(second.json())) & set(_ids(first))
        writes = client.app.state.session_writes  # type: ignore[attr-defined]
        _until(lambda: writes.pending() == 0, "the session writes")
        assert _stored_sessions(committed_engine) == 1


def test_a_users_next_session_starts_with_the_pages_the_last_refill_stored(
    committed_engine: Engine,  # noqa: F811
    tmp_path,
    text_cache: EmbeddingCache,
) -> None:
    """The first session of a feed is refilled after page 2; the refill's pages become the
    pool's opening, so the next session scrolls to its end from memory with no refill."""
    with _client(committed_engine, tmp_path, text_cache) as client:
        state = client.app.state  # type: ignore[attr-defined]

        def scroll() -> list[int]:
            body = client.get("/feed", params={"username": "fan4"}).json()
            seen = _ids(body)
            while body["next_cursor"] is not None:
                _until(lambda: state.session_writes.pending() == 0, "the session write")
                _until(lambda: state.page_refills.pending() == 0, "the refill")
                params = {"username": "fan4", "cursor": body["next_cursor"]}
                body = client.get("/feed", params=params).json()
                seen += _ids(body)
            return seen

        first = scroll()
        assert state.page_refills.started == 1
        undo = _no_page_on_the_request_path(client)
        second = scroll()
        undo()
        assert state.page_refills.started == 1  # none for the second session
        assert second == first
