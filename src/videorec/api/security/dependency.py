"""`require_scope(scope)`: the FastAPI dependency that guards a route.

    router = APIRouter(dependencies=[Depends(require_scope("feed:read"))])
    @router.post("/events", dependencies=[EventsWriter]) ...

With auth off it lets every request through (the server logs that at start-up), but still
applies the rate limit per client address.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request

from videorec.api.security.guard import Client, Guard
from videorec.api.security.scopes import ADMIN, EVENTS_WRITE, FEED_READ, SCOPES
from videorec.api.security.ui_session import require_ui_scope
from videorec.errors import ConfigurationError


def require_scope(scope: str) -> Callable[[Request], Awaitable[Client]]:
    """A dependency that admits a request only with a key holding `scope` (or `admin`).

    Async on purpose: the key cache answers without I/O, so no thread-pool hop per request.
    The admitted `Client` is also left on `request.state.client` for the request log.
    """
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}; known: {', '.join(SCOPES)}")

    async def admit(request: Request) -> Client:
        guard: Guard | None = getattr(request.app.state, "guard", None)
        if guard is None:
            raise ConfigurationError("the app has no security guard; build it with create_app")
        address = request.client.host if request.client else "unknown"
        client = guard.admit(request.app.state.sessionmaker,
                             request.headers.get("authorization"), address, scope)  # fmt: skip
        request.state.client = client
        return client

    admit.__name__ = f"require_{scope.replace(':', '_')}"
    return admit


FeedReader = Depends(require_scope(FEED_READ))
EventsWriter = Depends(require_scope(EVENTS_WRITE))
Admin = Depends(require_scope(ADMIN))
FeedReaderDep = Annotated[Client, FeedReader]
EventsWriterDep = Annotated[Client, EventsWriter]
AdminDep = Annotated[Client, Admin]
UiAdmin = Depends(require_ui_scope(ADMIN))
"""`Admin` for the dashboard's pages: also takes the `/ui/login` session cookie."""
