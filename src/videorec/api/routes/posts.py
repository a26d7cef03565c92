"""`GET /posts/all`: every post, paginated in a stable order."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from videorec.api.deps import SessionDep
from videorec.api.presenters import present_post
from videorec.api.responses import JSONBytesResponse
from videorec.api.schemas import ErrorBody, PostPage
from videorec.storage.repositories import posts

router = APIRouter(tags=["posts"])

MAX_PAGE_SIZE = 1000


@router.get("/posts/all", response_model=PostPage, responses={422: {"model": ErrorBody}})
def all_posts(
    session: SessionDep,
    page: Annotated[int, Query(ge=1, le=10_000_000, description="1-based page number")] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="posts per page")] = 20,
) -> Response:
    """Every post in the app's post format, ordered by id."""
    rows, has_more = posts.list_page(session, page=page, page_size=page_size)
    body = {
        "status": "success",
        "post": [present_post(post) for post in rows],
        "page": page,
        "page_size": page_size,
        "has_more": has_more,
    }
    return JSONBytesResponse(body)
