"""Request and response models of `POST /events` (they document the OpenAPI spec)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from videorec.ingestion.events import MAX_BATCH, EventIn


class EventBatch(BaseModel):
    """A batch of events. Items are validated one by one (see `EventIn`), not all or nothing."""

    events: Annotated[
        list[Any],
        Field(
            min_length=1,
            max_length=MAX_BATCH,
            json_schema_extra={"items": EventIn.model_json_schema()},
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
