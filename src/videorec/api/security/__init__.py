"""API keys with scopes, and rate limits: who may call, what, and how often.

`require_scope("feed:read")` is the one dependency routes use:
`dependencies=[Depends(require_scope("feed:read"))]`, or the ready-made `FeedReader`,
`EventsWriter`, `Admin` (and the `...Dep` `Annotated` aliases that also hand over the `Client`).
`UiAdmin` guards the dashboard: it also takes the signed session cookie that `/ui/login` sets.
"""

from videorec.api.security.dependency import (
    Admin,
    AdminDep,
    EventsWriter,
    EventsWriterDep,
    FeedReader,
    FeedReaderDep,
    UiAdmin,
    require_scope,
)
from videorec.api.security.guard import Client, Guard
from videorec.api.security.scopes import ADMIN, EVENTS_WRITE, FEED_READ, SCOPES

__all__ = [
    "ADMIN",
    "EVENTS_WRITE",
    "FEED_READ",
    "SCOPES",
    "Admin",
    "AdminDep",
    "Client",
    "EventsWriter",
    "EventsWriterDep",
    "FeedReader",
    "FeedReaderDep",
    "Guard",
    "UiAdmin",
    "require_scope",
]
