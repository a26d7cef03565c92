"""`POST /events`: interactions in real time, reflected by the user's very next `/feed` (from
another server process: after its next look for events, `serving/user_changes.py`)."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Request
from sqlalchemy import event
from sqlalchemy.orm import Session
from starlette.responses import Response

from videorec.api.deps import SessionDep
from videorec.api.responses import JSONBytesResponse
from videorec.api.schemas import ErrorBody
from videorec.api.schemas_events import EventBatch, EventsAccepted, EventsPartlyRejected
from videorec.ingestion.events import EventsResult, accept_events

# Scope hook: the API-key work adds `dependencies=[Depends(require_scope("events:write"))]` here.
router = APIRouter(tags=["events"])


@router.post(
    "/events",
    response_model=EventsAccepted,
    responses={422: {"model": EventsPartlyRejected | ErrorBody}},
)
def post_events(http: Request, session: SessionDep, batch: EventBatch) -> Response:
    """Store up to 1,000 view/like/inspire/rating events; idempotent by each event's `id`.

    Each item is validated on its own: when some are rejected the answer is a 422 listing them
    by index, and the valid ones are stored all the same. Unknown usernames create users;
    unknown posts are rejected. The events are committed before the answer, so the user's
    next `/feed` from this server process reflects them (another process of the same
    deployment within its `user_changes_poll_s`, 1 s by default).
    """
    result = accept_events(session, batch.events)
    _touch_after_commit(http, session, result.user_ids)
    return JSONBytesResponse(_body(result), status_code=422 if result.rejected else 200)


def _touch_after_commit(http: Request, session: Session, user_ids: set[int]) -> None:
    """Mark the users changed once the events are committed (`serving/user_changes.py`): a
    pool ranked before the commit, from a history without them, then opens no new session."""
    feed = getattr(http.app.state, "feed", None)
    changes = None if feed is None else feed.changes
    if changes is not None and user_ids:
        event.listen(session, "after_commit", lambda _: changes.touch(user_ids), once=True)


def _body(result: EventsResult) -> dict[str, object]:
    counts = {
        "received": result.received,
        "accepted": result.accepted,
        "duplicates": result.duplicates,
        "users_created": result.users_created,
        "rejected": [asdict(r) for r in result.rejected],
    }
    if not result.rejected:
        return {"status": "success", **counts}
    stored = result.accepted + result.duplicates
    message = (
        f"{len(result.rejected)} of {result.received} events rejected (see rejected[].index); "
        f"the other {stored} are stored"
    )
    return {"status": "error", "code": "invalid_events", "message": message, **counts}
