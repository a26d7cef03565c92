"""Dependencies for routes, as `Annotated` aliases."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from videorec.api.post_cache import PresentedPosts
from videorec.serving.feed import FeedService
from videorec.serving.sessions import RedisSessionStore, SessionStore, SqlSessionStore
from videorec.settings import Settings


@contextmanager
def _transaction(request: Request) -> Iterator[Session]:
    """A session committed on success and rolled back on any error."""
    with request.app.state.sessionmaker() as session:
        try:
            yield session
        except Exception:
            session.rollback()
            raise
        else:
            session.commit()


def get_session(request: Request) -> Iterator[Session]:
    """One session per request: committed on success, rolled back on any error."""
    with _transaction(request) as session:
        yield session


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SessionDep = Annotated[Session, Depends(get_session)]
CommitFirstSessionDep = Annotated[Session, Depends(get_session, scope="function")]
"""A session committed before the response is sent (SessionDep commits after it is sent): for
writes a client acts on at once, such as `POST /events` followed by `GET /feed`."""
SettingsDep = Annotated[Settings, Depends(get_app_settings)]


async def get_loop_session(request: Request) -> AsyncIterator[Session]:
    """`get_session` on the event loop, for the latency-bound `/feed` (an `async def` route).

    On a busy 2-core box each thread-pool hop of a sync dependency or route cost ~1 ms of p50;
    the price is that `/feed`'s few short queries run on the loop (use `--workers` to scale).
    Honours a test override of `get_session`, so both share one session.
    """
    override = request.app.dependency_overrides.get(get_session)
    if override is not None:  # tests: one shared session, returned or yielded by the override
        made = override()
        yield next(made) if isinstance(made, Iterator) else made
        return
    with _transaction(request) as session:
        yield session


LoopSessionDep = Annotated[Session, Depends(get_loop_session)]


async def get_feed_service(request: Request) -> FeedService:
    """Async on purpose: no I/O, so no thread-pool hop per request."""
    service: FeedService = request.app.state.feed
    return service


async def get_session_store(request: Request, session: LoopSessionDep) -> SessionStore:
    """Redis when configured (shared by replicas), else the request's database session."""
    redis = request.app.state.redis
    return RedisSessionStore(redis) if redis is not None else SqlSessionStore(session)


async def get_presented(request: Request) -> PresentedPosts:
    cache: PresentedPosts = request.app.state.presented
    return cache


FeedDep = Annotated[FeedService, Depends(get_feed_service)]
SessionStoreDep = Annotated[SessionStore, Depends(get_session_store)]
PresentedDep = Annotated[PresentedPosts, Depends(get_presented)]
