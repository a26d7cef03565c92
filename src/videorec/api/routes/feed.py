"""`GET /feed`: a user's personalised feed, one page per call, paged by an opaque cursor.

The route validates on the event loop and answers there a scroll page this process has computed
already (in memory: no I/O); otherwise it does all of a page's work (database, Redis,
ranking) in one worker thread, under the app's `feed_limiter`: a slow database (SQLite busy
behind a `videorec sync`) or a slow page never holds the loop, so `/health` and the other
routes keep answering, and at most `FEED_THREADS` pages are computed at once. After answering a
scroll page with at most `pages_ahead` pages held after it, it starts a refill of the next
pages off the request path (`api/page_refills.py`), so scrolling finds them held.

A new session whose pool is held for the user's feed opens on the event loop too
(`FeedService.open_in_memory`): its first page is answered from memory (the next
`pages_ahead` are held with it) and the session is stored behind the answer
(`api/session_writes.py`); a request, or a refill, that must compute a page of a session still
being stored waits for the write first.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

import anyio
import orjson
from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.responses import Response

from videorec.api.deps import get_session, request_session, session_store
from videorec.api.openapi import query_parameters
from videorec.api.page_refills import PageRefills
from videorec.api.post_cache import PresentedPosts
from videorec.api.schemas import ErrorBody, FeedQuery
from videorec.api.schemas import FeedPage as FeedPageBody
from videorec.api.session_writes import SessionWrites
from videorec.errors import InvalidInput
from videorec.serving.context import FeedRequest
from videorec.serving.feed import FeedPage, FeedService
from videorec.serving.registry import PipelineState

router = APIRouter(tags=["feed"])


@router.get(
    "/feed",
    response_model=FeedPageBody,
    responses={400: {"model": ErrorBody}, 422: {"model": ErrorBody}},
    openapi_extra={"parameters": query_parameters(FeedQuery)},
)
async def get_feed(http: Request) -> Response:
    """The user's feed. Unknown users get a cold-start feed; `mood` steers it; pages never repeat.

    Give `cursor` (from the previous page's `next_cursor`) or `page`, not both.
    """
    query = feed_query(http)
    service: FeedService = http.app.state.feed  # not dependencies: each one costs a resolution
    presented: PresentedPosts = http.app.state.presented
    if query.cursor is not None and query.page is not None:
        raise InvalidInput("give either cursor or page, not both")
    if query.category_id is not None and query.project_code is not None:
        raise InvalidInput("give either category_id or project_code, not both")
    size = query.page_size or service.config.default_page_size
    if size > service.config.max_page_size:
        raise InvalidInput(f"page_size must be at most {service.config.max_page_size}")
    request = FeedRequest(query.username, query.category_id, query.project_code, query.mood,
                          size, query.cursor, query.page)  # fmt: skip
    refills: PageRefills = http.app.state.page_refills
    ready = _page_in_memory(http, service, presented, request)
    if ready is None:
        ready = await _open_in_memory(http, service, presented, request)
    if ready is None and await refills.wait(service.cursor_session(request)):
        ready = _page_in_memory(http, service, presented, request)  # the refill held it
    if ready is None:
        await _stored(http, service, request)
        limiter = http.app.state.feed_limiter
        ready = await anyio.to_thread.run_sync(_page, http, service, presented, request,
                                               limiter=limiter)  # fmt: skip
    result, body = ready
    if result.refill and result.session_id is not None and _own_session(http):
        work = partial(_refill, http, service, presented, result.session_id, result.page)
        writes: SessionWrites | None = http.app.state.session_writes
        stored = None if writes is None else partial(writes.wait, result.session_id)
        refills.start(result.session_id, work, stored)  # its compare-and-set needs the row
    return Response(body, media_type="application/json")


def feed_query(http: Request) -> FeedQuery:
    """The request's query as a `FeedQuery` (the last value of a repeated parameter, as FastAPI
    reads a scalar one); a bad one is a 422 in FastAPI's own form (`api/errors.py`)."""
    try:
        return FeedQuery.model_validate(dict(http.query_params))
    except ValidationError as exc:
        errors = [{**error, "loc": ("query", *error["loc"])} for error in exc.errors()]
        raise RequestValidationError(errors) from None


def _page_in_memory(
    http: Request, service: FeedService, presented: PresentedPosts, request: FeedRequest
) -> tuple[FeedPage, bytes] | None:
    """A scroll page this process computed already, with its posts presented: answered on the
    event loop (no I/O, ~0.1 ms) instead of a worker thread; None when the page needs work."""
    state = service.registry.current
    found = service.page_in_memory(http.app.state.recent_sessions, request)
    if found is None or state is None:
        return None
    posts = presented.encoded(found.post_ids, state)
    return None if posts is None else (found, encode_body(found, posts))


async def _open_in_memory(
    http: Request, service: FeedService, presented: PresentedPosts, request: FeedRequest
) -> tuple[FeedPage, bytes] | None:
    """A new session opened from its user's held pool, stored behind the answer; None when it
    cannot be (no held pool, events since, the writer's queue full): then `_page` opens it.
    Its posts are presented from memory, or in a worker thread when some are not cached."""
    writes: SessionWrites | None = http.app.state.session_writes
    if writes is None or not _own_session(http):
        return None
    opened = service.open_in_memory(request)
    state = service.registry.current
    if opened is None or state is None:
        return None
    if not writes.accepting and not await writes.room():  # wait for the writer, not beside it
        return None
    ids = opened.page.post_ids
    posts: Mapping[int, bytes] | None = presented.encoded(ids, state)
    if posts is None:  # the pages ahead presented too: held next
        ahead = [*ids, *opened.page.ahead_ids]
        posts = await anyio.to_thread.run_sync(_present, http, presented, ahead, state,
                                               limiter=http.app.state.feed_limiter)  # fmt: skip
    writes.create(opened.session_id, opened.key, opened.snapshot, service.config.session_ttl_s)
    return opened.page, encode_body(opened.page, posts)


def _present(
    http: Request, presented: PresentedPosts, ids: list[int], state: PipelineState
) -> Mapping[int, bytes]:
    with request_session(http) as db:
        return presented.get_many_encoded(db, ids, state)


async def _stored(http: Request, service: FeedService, request: FeedRequest) -> None:
    """Wait until the session a request reads is stored, when this process opened it in
    memory and its write is still queued (a `page=K` request: the newest of its feed)."""
    writes: SessionWrites | None = http.app.state.session_writes
    if writes is not None and writes.pending():
        session_id = service.cursor_session(request)
        await writes.wait(session_id, request.key if session_id is None else None)


def _page(
    http: Request, service: FeedService, presented: PresentedPosts, request: FeedRequest
) -> tuple[FeedPage, bytes]:
    """One page's work, in a worker thread: state, session, ranking, commit, presentation.

    The commit comes before the presentation (which may read posts): on SQLite a write holds
    the database's one write lock until its commit, and every other writer sleeps meanwhile.
    """
    with request_session(http) as db:
        result = service.page(db, session_store(http, db), request)
        if _own_session(http):  # a test's shared session is the test's to commit
            _commit(http, db, result.session_id)
        generation = service.registry.state(db)
        posts = presented.get_many_encoded(db, [*result.post_ids, *result.ahead_ids], generation)
        return result, encode_body(result, posts)  # the pages ahead presented too: held next


def _refill(
    http: Request, service: FeedService, presented: PresentedPosts, session_id: str, number: int
) -> None:
    """A session's next pages stored and their posts presented, after page `number` was
    answered (in a worker thread of `PageRefills`, with a database session of its own)."""
    with request_session(http) as db:
        ahead = service.refill(db, session_store(http, db), session_id, number)
        _commit(http, db, session_id)  # before presenting: see `_page` (refills: own sessions)
        if ahead:
            presented.get_many_encoded(db, ahead, service.registry.state(db))  # cached: held next


def _commit(http: Request, db: Session, session_id: str | None) -> None:
    """Commit a page's writes; if the commit fails, forget this process's copy of the session,
    which already holds the uncommitted pages (`CachedSessionStore` updates it with the write),
    so no later request serves pages the store never got."""
    try:
        db.commit()
    except Exception:
        if session_id is not None:
            http.app.state.recent_sessions.drop(session_id)
        raise


def _own_session(http: Request) -> bool:
    """Whether pages get database sessions of their own (not a test's shared session, which two
    threads must not use at once and which the test commits or rolls back): refills need one."""
    return get_session not in http.app.dependency_overrides


def encode_body(result: FeedPage, posts: Mapping[int, bytes]) -> bytes:
    """The page as JSON, from its posts' JSON objects by id (a post missing from `posts`, gone
    from the database, is left out): each gets its score and reason appended, and the page is
    joined around them, so no post is serialised twice."""
    items = [
        posts[i][:-1]
        + b',"score":'
        + orjson.dumps(score)
        + b',"reason":'
        + orjson.dumps(reason)
        + b"}"
        for i, score, reason in zip(result.post_ids, result.scores, result.reasons, strict=True)
        if i in posts
    ]
    tail = orjson.dumps({"page": result.page, "page_size": result.page_size,
                         "next_cursor": result.next_cursor, "cold_start": result.cold_start,
                         "model_version": result.model_version})  # fmt: skip
    return b'{"status":"success","post":[' + b",".join(items) + b"]," + tail[1:]
