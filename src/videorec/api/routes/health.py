"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import text
from starlette.responses import Response

from videorec.api.responses import JSONBytesResponse
from videorec.api.schemas import ErrorBody, Health
from videorec.api.security import Admin
from videorec.storage import migrate

router = APIRouter(tags=["operations"])


@router.get("/health", response_model=Health)
def health() -> Response:
    """Alive: the process answers."""
    return JSONBytesResponse({"status": "ok"})


@router.get(
    "/ready", response_model=Health, responses={503: {"model": ErrorBody}}, dependencies=[Admin]
)
def ready(request: Request) -> Response:
    """Ready: the database answers and its schema is at the code's newest migration.

    `checks.feed` says whether the feed state is built ("ready"), still being built at start-up
    ("building": `/feed` requests wait for it), or will be built by the first request.
    """
    try:
        with request.app.state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            revision = migrate.current_on(connection)
    except Exception as exc:  # any driver error means "not ready", with its reason
        return _not_ready(f"database unreachable: {type(exc).__name__}")
    if revision != migrate.head():
        return _not_ready(
            f"database schema at {revision or 'nothing'}, code expects {migrate.head()}: "
            "run `videorec db upgrade`"
        )
    checks = {"database": "ok", "schema": revision, "feed": _feed_status(request)}
    return JSONBytesResponse({"status": "ok", "checks": checks})


def _feed_status(request: Request) -> str:
    """The feed state: "ready", "building" (warm-up at start-up) or "on first request"."""
    feed = getattr(request.app.state, "feed", None)
    return "unavailable" if feed is None else str(feed.registry.status)


def _not_ready(reason: str) -> Response:
    body = {"status": "error", "code": "not_ready", "message": reason}
    return JSONBytesResponse(body, status_code=503)
