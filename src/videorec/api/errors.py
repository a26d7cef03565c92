"""Render every failure in one JSON shape: `{"status": "error", "code": ..., "message": ...}`.

Domain errors carry their own status; request validation is 422; unknown routes are 404;
anything unexpected is a 500 whose body never holds a stack trace (the log does).
"""

from __future__ import annotations

from collections.abc import Mapping

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from videorec.api.responses import JSONBytesResponse
from videorec.errors import VideorecError

log = structlog.get_logger(__name__)

_HTTP_CODES = {
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    429: "rate_limited",
}


def error_response(
    status_code: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    body = {"status": "error", "code": code, "message": message}
    return JSONBytesResponse(body, status_code=status_code, headers=headers)


async def _domain_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, VideorecError)
    return error_response(exc.status_code, exc.code, exc.message, exc.headers)


async def _validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = [_describe(error) for error in exc.errors()]
    return error_response(422, "invalid_request", "; ".join(problems))


def _describe(error: object) -> str:
    if not isinstance(error, dict):
        return str(error)
    where = ".".join(str(part) for part in error.get("loc", ()) if part != "query")
    return f"{where}: {error.get('msg', 'invalid')}"


async def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    return error_response(exc.status_code, code, str(exc.detail), exc.headers)  # 405: Allow


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled_error", path=request.url.path, error=type(exc).__name__)
    return error_response(500, "internal_error", "internal error; the server log has details")


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers above on `app`."""
    app.add_exception_handler(VideorecError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
