"""Tolerant pydantic models of what the upstream returns (API.md §1, §3-5).

Both generations are accepted: posts with 29 (2024) or 38 (2025) keys, users with 24 or 36 keys.
`category`/`topic` may be `[]`; `post_summary` may be `[]`, a dict with values of any type or
partly null; timestamps are naive "YYYY-MM-DD HH:MM:SS" strings or epoch milliseconds. Unknown
keys are allowed (the sync keeps the raw object). What stays fatal is what a row cannot live
without: ids, a username, an interaction's time; those items go to quarantine.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from videorec.kit.time import from_epoch_ms

TIME_KEYS = {
    "view": "viewed_at",
    "like": "liked_at",
    "inspire": "inspired_at",
    "rating": "rated_at",
}
"""The timestamp key of each interaction log."""


def parse_timestamp(value: Any) -> datetime | None:
    """A naive UTC datetime from "YYYY-MM-DD HH:MM:SS", ISO text or epoch ms; None for ""/None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, bool):
        raise ValueError("a boolean is not a timestamp")
    if isinstance(value, int | float):
        return _from_epoch_ms(value)
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return _from_epoch_ms(int(text))
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
        return parsed
    raise ValueError(f"not a timestamp: {type(value).__name__}")


def _from_epoch_ms(value: float) -> datetime:
    """`from_epoch_ms`, with a number no calendar holds (1e308, inf, nan) refused as invalid."""
    try:
        return from_epoch_ms(int(value))
    except (OverflowError, OSError, ValueError) as exc:
        raise ValueError(f"epoch milliseconds out of range: {value}") from exc


def _empty_to_none(value: Any) -> Any:
    return None if value in ([], {}, "", None) else value


def _none_to(default: Any) -> BeforeValidator:
    return BeforeValidator(lambda value: default if value is None else value)


Timestamp = Annotated[datetime | None, BeforeValidator(parse_timestamp)]
Text = Annotated[str, _none_to("")]
Count = Annotated[int, _none_to(0)]
Flag = Annotated[bool, _none_to(False)]


class _Tolerant(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class UpstreamPage(BaseModel):
    """One page of any endpoint: the envelope's numbers and its raw items (validated later)."""

    page: int
    page_size: int
    max_page_size: int | None = None
    items: list[Any]

    @classmethod
    def from_envelope(cls, data: Any, list_key: str, requested_page: int) -> UpstreamPage:
        """Read an envelope; raises ValueError when it has no list under `list_key`."""
        if not isinstance(data, dict) or not isinstance(data.get(list_key), list):
            raise ValueError(f"envelope without a {list_key!r} list")
        items = data[list_key]
        return cls(
            page=data.get("page", requested_page),
            page_size=data.get("page_size", len(items)),
            max_page_size=data.get("max_page_size"),
            items=items,
        )


class CategoryIn(_Tolerant):
    id: int
    name: Text = ""
    count: Count = 0
    description: Text = ""
    image_url: Text = ""


class TopicIn(_Tolerant):
    """A topic; always `[]` upstream so far, its object shape is API.md §11's (LOW confidence)."""

    id: int
    name: Text = ""
    description: Text = ""
    image_url: Text = ""
    slug: Text = ""
    is_public: Flag = True
    project_code: str | None = None
    posts_count: Count = 0
    language: str | None = None
    created_at: Timestamp = None
    owner: dict[str, Any] | None = None


class PostIn(_Tolerant):
    """A `/posts/summary/get` post object, 2024 (29 keys) or 2025 (38 keys)."""

    id: int
    category: Annotated[CategoryIn | None, BeforeValidator(_empty_to_none)] = None
    topic: Annotated[TopicIn | None, BeforeValidator(_empty_to_none)] = None
    slug: Text = ""
    title: Text = ""
    identifier: Text = ""
    comment_count: Count = 0
    upvote_count: Count = 0
    view_count: Count = 0
    exit_count: Count = 0
    rating_count: Count = 0
    average_rating: Count = 0
    share_count: Count = 0
    bookmark_count: Count = 0
    video_link: Text = ""
    thumbnail_url: Text = ""
    gif_thumbnail_url: Text = ""
    contract_address: Text = ""
    chain_id: Text = ""
    chart_url: Text = ""
    base_token: Annotated[dict[str, Any], _none_to({})] = Field(default={}, alias="baseToken")
    is_locked: Flag = False
    is_available_in_public_feed: Annotated[bool, _none_to(True)] = True
    created_at: Timestamp = None
    first_name: Text = ""
    last_name: Text = ""
    username: Text = ""
    picture_url: Text = ""
    user_type: str | None = None
    has_evm_wallet: Flag = False
    has_solana_wallet: Flag = False
    tags: Annotated[list[Any], _none_to([])] = []
    post_summary: Annotated[dict[str, Any] | None, BeforeValidator(_empty_to_none)] = None

    @field_validator("tags")
    @classmethod
    def _tags_as_text(cls, value: list[Any]) -> list[Any]:
        return [str(tag) for tag in value if tag not in (None, "")]


class UserIn(_Tolerant):
    """A `/users/get_all` user object, 2024 (24 keys) or 2025 (36 keys)."""

    id: int
    username: Annotated[str, Field(min_length=1)]
    first_name: Text = ""
    last_name: Text = ""
    role: str | None = None
    user_type: str | None = None
    profile_url: str | None = None
    bio: str | None = None
    is_verified: Flag = False
    is_verified_camel: Flag = Field(default=False, alias="isVerified")
    follower_count: Count = 0
    following_count: Count = 0
    post_count: Count = 0
    share_count: Count = 0
    last_login: Timestamp = None


class InteractionIn(BaseModel):
    """One row of an engagement log (resonance mode), whatever its kind."""

    model_config = ConfigDict(frozen=True)

    id: int
    post_id: int
    user_id: int
    occurred_at: datetime
    rating: Annotated[int, Field(ge=0, le=100)] | None = None

    @classmethod
    def from_item(cls, kind: str, item: Any) -> InteractionIn:
        """Validate a raw log row of `kind` ("view", "like", "inspire", "rating").

        Raises:
            ValueError: (pydantic ValidationError) when the row misses a field or has a bad value.
        """
        if not isinstance(item, dict):
            raise ValueError(f"expected an object, got {type(item).__name__}")
        occurred_at = parse_timestamp(item.get(TIME_KEYS[kind]))
        if occurred_at is None:
            raise ValueError(f"missing {TIME_KEYS[kind]}")
        fields = {"id": item.get("id"), "post_id": item.get("post_id"),
                  "user_id": item.get("user_id"), "occurred_at": occurred_at}  # fmt: skip
        if kind == "rating":
            if item.get("rating_percent") is None:
                raise ValueError("missing rating_percent")
            fields["rating"] = item["rating_percent"]
        return cls.model_validate(fields)
