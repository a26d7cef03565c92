"""Response models (they document the OpenAPI spec; routes render with orjson directly) and
`FeedQuery`, the one request query validated as a model."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

USERNAME = r"^[A-Za-z0-9_.@\-]+$"
CODE = r"^[A-Za-z0-9_.\-]+$"
MOOD = r"^[\w \-,'&]+$"


class Owner(BaseModel):
    first_name: str
    last_name: str
    name: str
    username: str
    picture_url: str
    user_type: str | None
    has_evm_wallet: bool
    has_solana_wallet: bool


class CategoryRead(BaseModel):
    id: int
    name: str
    count: int
    description: str
    image_url: str


class PostRead(BaseModel):
    """A post in the app's post format (API.md §11)."""

    model_config = ConfigDict(populate_by_name=True)

    id: int
    owner: Owner
    category: CategoryRead | None
    topic: dict[str, Any] | None
    title: str
    is_available_in_public_feed: bool
    is_locked: bool
    slug: str
    upvoted: bool
    bookmarked: bool
    following: bool
    identifier: str
    comment_count: int
    upvote_count: int
    view_count: int
    exit_count: int
    rating_count: int
    average_rating: int
    share_count: int
    bookmark_count: int
    video_link: str
    thumbnail_url: str
    gif_thumbnail_url: str
    contract_address: str
    chain_id: str
    chart_url: str
    baseToken: dict[str, str]  # noqa: N815 (the app's own key)
    created_at: int | None
    tags: list[str]


class PostPage(BaseModel):
    """`GET /posts/all`: one page of every post."""

    status: Literal["success"] = "success"
    post: list[PostRead]
    page: int
    page_size: int
    has_more: bool


class ErrorBody(BaseModel):
    """The one error shape of every endpoint."""

    status: Literal["error"] = "error"
    code: str
    message: str


class Health(BaseModel):
    status: str
    checks: dict[str, str] = {}


class FeedPost(PostRead):
    """A post of `/feed`: the app's post format plus why it is there."""

    score: float
    reason: str


class FeedPage(BaseModel):
    """`GET /feed`: one page of a user's feed session."""

    status: Literal["success"] = "success"
    post: list[FeedPost]
    page: int
    page_size: int
    next_cursor: str | None
    cold_start: bool
    model_version: str | None


class FeedQuery(BaseModel):
    """`GET /feed`'s query parameters, validated in one call (`routes.feed.feed_query`): FastAPI
    validating them one `Query` parameter at a time cost about half of what a scroll page held
    in memory costs the app. Unknown parameters are ignored, as FastAPI ignores them."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    username: str = Field(min_length=1, max_length=64, pattern=USERNAME)
    category_id: int | None = Field(None, ge=0, le=2**31 - 1)
    project_code: str | None = Field(None, min_length=1, max_length=64, pattern=CODE)
    mood: str | None = Field(None, min_length=1, max_length=64, pattern=MOOD)
    page_size: int | None = Field(None, ge=1, le=100, description="default 20")
    cursor: str | None = Field(None, min_length=1, max_length=512)
    page: int | None = Field(None, ge=1, le=10_000, description="1-based; or use cursor")
