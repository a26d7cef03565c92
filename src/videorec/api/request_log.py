"""One log line per request, and a request id on every response.

The id comes from the client's `X-Request-ID` (when it is 1-128 characters of letters, digits,
`.`, `_`, `-`) or is generated; it is echoed in the response's `X-Request-ID` and bound to every
log line written while the request runs. The line holds the method, the route template (never
the query string: it carries usernames and cursors), status, latency and the API key's name;
never a key or a header value.
"""

from __future__ import annotations

import re
import time
import uuid

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger("videorec.request")
_GOOD_ID = re.compile(r"[A-Za-z0-9._\-]{1,128}")


def request_id_of(scope: Scope) -> str:
    """The client's `X-Request-ID` when well formed, else a new one."""
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            text: str = value.decode("latin-1")
            if _GOOD_ID.fullmatch(text):
                return text
    return uuid.uuid4().hex


class RequestLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope)
        start = time.perf_counter()
        status = 500

        async def tagged(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [h for h in message.get("headers", []) if h[0] != b"x-request-id"]
                message = {**message, "headers": [*headers, (b"x-request-id",
                                                              request_id.encode())]}  # fmt: skip
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, tagged)
            finally:
                route = getattr(scope.get("route"), "path", "unmatched")
                client = getattr(scope.get("state", {}).get("client"), "name", None)
                log.info("request", method=scope["method"], route=route, status=status,
                         latency_ms=round((time.perf_counter() - start) * 1000, 2),
                         client=client)  # fmt: skip
