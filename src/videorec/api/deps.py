"""Dependencies for routes, as `Annotated` aliases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from videorec.api.post_cache import PresentedPosts
from videorec.serving.feed import FeedService
from videorec.serving.sessions import RedisSessionStore, SessionStore, SqlSessionStore
from videorec.settings import Settings


def get_session(request: Request) -> Iterator[Session]:
    """One session per request: committed on success, rolled back on any error."""
    with request.app.state.sessionmaker() as session:
        try:
            yield session
        except Exception:
            session.rollback()
            raise
        else:
            session.commit()


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]


async def get_feed_service(request: Request) -> FeedService:
    """Async on purpose: no I/O, so no thread-pool hop per request."""
    service: FeedService = request.app.state.feed
    return service


async def get_session_store(request: Request, session: SessionDep) -> SessionStore:
    """Redis when configured (shared by replicas), else the request's database session."""
    redis = request.app.state.redis
    return RedisSessionStore(redis) if redis is not None else SqlSessionStore(session)


async def get_presented(request: Request) -> PresentedPosts:
    cache: PresentedPosts = request.app.state.presented
    return cache


FeedDep = Annotated[FeedService, Depends(get_feed_service)]
SessionStoreDep = Annotated[SessionStore, Depends(get_session_store)]
PresentedDep = Annotated[PresentedPosts, Depends(get_presented)]
