"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import text
from starlette.responses import Response

from videorec.api.responses import JSONBytesResponse
from videorec.api.schemas import ErrorBody, Health

router = APIRouter(tags=["operations"])


@router.get("/health", response_model=Health)
def health() -> Response:
    """Alive: the process answers."""
    return JSONBytesResponse({"status": "ok"})


@router.get("/ready", response_model=Health, responses={503: {"model": ErrorBody}})
def ready(request: Request) -> Response:
    """Ready: the database answers (and, once trained, a model is loaded)."""
    checks: dict[str, str] = {}
    try:
        with request.app.state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # any driver error means "not ready", with its reason
        reason = f"database unreachable: {type(exc).__name__}"
        body = {"status": "error", "code": "not_ready", "message": reason}
        return JSONBytesResponse(body, status_code=503)
    return JSONBytesResponse({"status": "ok", "checks": checks})
