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
async def health() -> Response:
    """Alive: the process answers (on the event loop: no thread to wait for, no I/O)."""
    return JSONBytesResponse({"status": "ok"})


@router.get(
    "/ready", response_model=Health, responses={503: {"model": ErrorBody}}, dependencies=[Admin]
)
def ready(request: Request) -> Response:
    """Ready: the database answers, its schema is at the newest migration, `/feed` can answer.

    `checks.feed` says whether the feed state is built ("ready"), still being built at start-up
    ("building": a 503, since `/feed` requests would wait for it), or will be built by the
    first request (no warm-up ran, e.g. it failed; `/feed` builds it then). `checks.text_model`
    says whether the text model that encodes `mood` is loaded yet (it loads after the feed is
    ready; a `mood` request waits for it meanwhile). `checks.pools` says how many feeds' pools
    were ranked ahead for the current state ("warming 120", "warm 2048"; "off" when new
    sessions do not open in memory): a new session of another user is ranked when it comes.
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
    checks = {"database": "ok", "schema": revision, "feed": _feed_status(request),
              "text_model": _text_model_status(request),
              "pools": _pools_status(request)}  # fmt: skip
    if checks["feed"] == "building":
        return _not_ready("the feed state is still building; retry shortly", checks)
    return JSONBytesResponse({"status": "ok", "checks": checks})


def _feed_status(request: Request) -> str:
    """The feed state: "ready", "building" (warm-up at start-up) or "on first request"."""
    feed = getattr(request.app.state, "feed", None)
    return "unavailable" if feed is None else str(feed.registry.status)


def _text_model_status(request: Request) -> str:
    """The mood text model: loaded after the feed is ready; only `mood` requests wait for it."""
    feed = getattr(request.app.state, "feed", None)
    return "unavailable" if feed is None else str(feed.registry.text_model_status)


def _pools_status(request: Request) -> str:
    """The pool warmer's progress on the current state (`serving/pool_warmer.py`)."""
    warmer = getattr(request.app.state, "pool_warmer", None)
    return "off" if warmer is None else f"{warmer.status} {warmer.warmed}"


def _not_ready(reason: str, checks: dict[str, str | None] | None = None) -> Response:
    body: dict[str, object] = {"status": "error", "code": "not_ready", "message": reason}
    if checks is not None:
        body["checks"] = checks
    return JSONBytesResponse(body, status_code=503)
