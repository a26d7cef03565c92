"""`GET /feed`: a user's personalised feed, one page per call, paged by an opaque cursor."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from videorec.api.deps import FeedDep, LoopSessionDep, PresentedDep, SessionStoreDep
from videorec.api.responses import JSONBytesResponse
from videorec.api.schemas import ErrorBody
from videorec.api.schemas import FeedPage as FeedPageBody
from videorec.errors import InvalidInput
from videorec.serving.context import FeedRequest
from videorec.serving.feed import FeedPage

router = APIRouter(tags=["feed"])
USERNAME = r"^[A-Za-z0-9_.@\-]+$"
CODE = r"^[A-Za-z0-9_.\-]+$"
MOOD = r"^[\w \-,'&]+$"


@router.get(
    "/feed",
    response_model=FeedPageBody,
    responses={400: {"model": ErrorBody}, 422: {"model": ErrorBody}},
)
async def get_feed(
    db: LoopSessionDep,
    service: FeedDep,
    store: SessionStoreDep,
    presented: PresentedDep,
    username: Annotated[str, Query(min_length=1, max_length=64, pattern=USERNAME)],
    category_id: Annotated[int | None, Query(ge=0, le=2**31 - 1)] = None,
    project_code: Annotated[str | None, Query(min_length=1, max_length=64, pattern=CODE)] = None,
    mood: Annotated[str | None, Query(min_length=1, max_length=64, pattern=MOOD)] = None,
    page_size: Annotated[int | None, Query(ge=1, le=100, description="default 20")] = None,
    cursor: Annotated[str | None, Query(min_length=1, max_length=512)] = None,
    page: Annotated[
        int | None, Query(ge=1, le=10_000, description="1-based; or use cursor")
    ] = None,
) -> Response:
    """The user's feed. Unknown users get a cold-start feed; `mood` steers it; pages never repeat.

    Give `cursor` (from the previous page's `next_cursor`) or `page`, not both.
    """
    if cursor is not None and page is not None:
        raise InvalidInput("give either cursor or page, not both")
    if category_id is not None and project_code is not None:
        raise InvalidInput("give either category_id or project_code, not both")
    size = page_size or service.config.default_page_size
    if size > service.config.max_page_size:
        raise InvalidInput(f"page_size must be at most {service.config.max_page_size}")
    request = FeedRequest(username, category_id, project_code, mood, size, cursor, page)
    if service.registry.status != "ready":  # wait for (or do) the build off the event loop
        await run_in_threadpool(service.registry.state, db)
    result = service.page(db, store, request)
    generation = service.registry.state(db)
    return JSONBytesResponse(_body(result, presented.get_many(db, result.post_ids, generation)))


def _body(result: FeedPage, rows: dict[int, Any]) -> dict[str, Any]:
    items = []
    for post_id, score, reason in zip(result.post_ids, result.scores, result.reasons, strict=True):
        if post_id in rows:
            items.append({**rows[post_id], "score": score, "reason": reason})
    return {
        "status": "success",
        "post": items,
        "page": result.page,
        "page_size": result.page_size,
        "next_cursor": result.next_cursor,
        "cold_start": result.cold_start,
        "model_version": result.model_version,
    }
