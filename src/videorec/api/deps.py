"""Dependencies for routes, as `Annotated` aliases."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from videorec.serving.sessions import CachedSessionStore, SessionStore, shared_store
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
    """One session per request: committed on success, rolled back on any error.

    Used with `scope="function"`: the commit happens when the route returns, before the response
    is sent (FastAPI >= 0.118 otherwise runs a yield dependency's clean-up after the response, so
    a client could hold a cursor whose session row is not committed yet).
    """
    with _transaction(request) as session:
        yield session


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]


@contextmanager
def request_session(request: Request) -> Iterator[Session]:
    """`get_session` as a context manager, for work a route runs in a worker thread (`/feed`).

    Honours a test override of `get_session`, so both share one session.
    """
    override = request.app.dependency_overrides.get(get_session)
    if override is not None:  # tests: one shared session, returned or yielded by the override
        made = override()
        yield next(made) if isinstance(made, Iterator) else made
        return
    with _transaction(request) as session:
        yield session


def session_store(request: Request, session: Session) -> SessionStore:
    """Redis when configured (shared by replicas), else the request's database session; behind
    the process's recent sessions, so a scroll page reads its session from memory."""
    redis = request.app.state.redis
    return CachedSessionStore(shared_store(session, redis), request.app.state.recent_sessions)
