"""Request and response models of `POST /events` (they document the OpenAPI spec)."""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, Field

from videorec.ingestion.events import MAX_BATCH, EventIn


def event_item_schema() -> dict[str, Any]:
    """The JSON Schema of one event, exactly as `EventIn` accepts it: one of two shapes by `kind`.

    `EventIn` checks across fields that `rating` comes with kind=rating and with no other kind,
    which its own schema cannot say; so the published item is a `oneOf` whose branches have
    disjoint `kind` values: a rating (rating required, 0-100) or a view/like/inspire (rating
    absent or null). Derived from `EventIn`, so the fields' rules are written once.
    """
    base = EventIn.model_json_schema()
    fields = base["properties"]
    kinds = list(get_args(EventIn.model_fields["kind"].annotation))
    plain_kinds = [kind for kind in kinds if kind != "rating"]
    score = next(option for option in fields["rating"]["anyOf"] if option.get("type") != "null")
    rated = {
        **base,
        "title": "RatingEvent",
        "description": "A rating: `rating` (0-100) is required.",
        "properties": {**fields, "kind": {"type": "string", "const": "rating", "title": "Kind"},
                       "rating": {**score, "title": "Rating"}},
        "required": [*base["required"], "rating"],
    }  # fmt: skip
    plain = {
        **base,
        "title": "PlainEvent",
        "description": f"A {', '.join(plain_kinds)}: no `rating` (absent or null).",
        "properties": {**fields, "kind": {"type": "string", "enum": plain_kinds, "title": "Kind"},
                       "rating": {"type": "null", "title": "Rating"}},
    }  # fmt: skip
    return {"title": "EventIn", "description": base["description"], "oneOf": [plain, rated]}


class EventBatch(BaseModel):
    """A batch of events. Items are validated one by one (see `EventIn`), not all or nothing."""

    events: Annotated[
        list[Any],
        Field(
            min_length=1,
            max_length=MAX_BATCH,
            json_schema_extra={"items": event_item_schema()},
        ),
    ]


class RejectedEvent(BaseModel):
    index: int
    """Position of the item in `events`."""
    field: str
    message: str


class EventsAccepted(BaseModel):
    """Every valid event stored (or already stored: `duplicates`)."""

    status: Literal["success"] = "success"
    received: int
    accepted: int
    duplicates: int
    users_created: int
    rejected: list[RejectedEvent] = []


class EventsPartlyRejected(EventsAccepted):
    """422: some items were rejected (listed by index); the valid ones were stored."""

    status: Literal["error"] = "error"  # type: ignore[assignment]
    code: Literal["invalid_events"] = "invalid_events"
    message: str


__all__ = ["EventBatch", "EventIn", "EventsAccepted", "EventsPartlyRejected", "RejectedEvent"]
