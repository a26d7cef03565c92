"""Real-time events (`POST /events`): validate each item, resolve users and posts, store.

Stages: validate every item on its own (a bad one is reported by its index, the rest go on);
drop repeats of a client event id within the batch; resolve usernames (creating unknown users)
and reject events on unknown posts; insert the rest into the interaction table, where a client
event id stored earlier is skipped. The caller's transaction commits it all at once, so the
very next `/feed` request reads the new history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy.orm import Session

from videorec.ingestion.schemas import parse_timestamp
from videorec.kit.time import utc_now
from videorec.storage.repositories import events as repo

MAX_BATCH = 1000
"""Events accepted in one request."""
FUTURE_SLACK = timedelta(minutes=5)
"""How far ahead of the server's clock an event's `at` may be (clock skew), no further."""
EARLIEST = datetime(1970, 1, 1)
"""No event is older than the Unix epoch (SQLite could not read back a year under 1000)."""
USERNAME = r"^[A-Za-z0-9_.@\-]+$"
EVENT_ID = r"^[\x21-\x7e]+$"


def _whole(value: Any) -> Any:
    """JSON has one number type, and JSON Schema counts 80.0 as the integer 80: so do we.
    80.5, "80" and true stay what they are, and the strict integer check refuses them."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


Whole = BeforeValidator(_whole)


class EventIn(BaseModel):
    """One event as a client sends it."""

    model_config = ConfigDict(extra="forbid")

    id: Annotated[str, Field(min_length=1, max_length=128, pattern=EVENT_ID)]
    """The client's event id (printable ASCII, no spaces): resending it adds nothing."""
    username: Annotated[str, Field(min_length=1, max_length=64, pattern=USERNAME)]
    post_id: Annotated[Annotated[int, Field(ge=1, le=2**63 - 1, strict=True)], Whole]
    kind: Literal["view", "like", "inspire", "rating"]
    rating: Annotated[Annotated[int, Field(ge=0, le=100, strict=True)] | None, Whole] = None
    """0-100, required for kind=rating and refused for the other kinds."""
    at: Annotated[datetime | None, BeforeValidator(parse_timestamp)] = None
    """When it happened: ISO 8601 (UTC unless it has an offset) or epoch ms; default now."""

    @model_validator(mode="after")
    def _rating_matches_kind(self) -> EventIn:
        if self.kind == "rating" and self.rating is None:
            raise ValueError("rating: required for kind=rating (0-100)")
        if self.kind != "rating" and self.rating is not None:
            raise ValueError(f"rating: only kind=rating has one, not kind={self.kind}")
        return self


@dataclass(frozen=True)
class Rejected:
    """An item that was not stored, by its index in the batch."""

    index: int
    field: str
    message: str


@dataclass
class EventsResult:
    """What a batch did: stored, already stored (resent), rejected, users created."""

    received: int
    accepted: int = 0
    duplicates: int = 0
    users_created: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    user_ids: set[int] = field(default_factory=set)
    """The users of the events offered for storage (stored now or before)."""


@dataclass(frozen=True)
class _Valid:
    index: int
    event: EventIn


def accept_events(
    session: Session, items: list[Any], *, now: datetime | None = None
) -> EventsResult:
    """Store the valid events of `items`; report the others by index. Nothing is committed here."""
    now = now or utc_now()
    result = EventsResult(received=len(items))
    valid = _validate(items, now, result)
    unique = _first_of_each_id(valid, result)
    on_known_posts = _on_known_posts(session, unique, result)
    user_ids = _user_ids(session, on_known_posts, result)
    rows = _rows(on_known_posts, user_ids, now)
    result.user_ids = {int(row["user_id"]) for row in rows}
    result.accepted = repo.insert_events(session, rows)
    result.duplicates += len(rows) - result.accepted
    result.rejected.sort(key=lambda r: r.index)
    return result


def _validate(items: list[Any], now: datetime, result: EventsResult) -> list[_Valid]:
    valid: list[_Valid] = []
    for index, item in enumerate(items):
        try:
            event = EventIn.model_validate(item)
        except ValidationError as exc:
            where, message = _first_error(exc)
            result.rejected.append(Rejected(index, where, message))
            continue
        if event.at is not None and event.at > now + FUTURE_SLACK:
            result.rejected.append(Rejected(index, "at", "is in the future"))
            continue
        if event.at is not None and event.at < EARLIEST:
            result.rejected.append(Rejected(index, "at", "is before 1970-01-01"))
            continue
        valid.append(_Valid(index, event))
    return valid


def _first_error(exc: ValidationError) -> tuple[str, str]:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error.get("loc", ())) or "event"
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    if ":" in message and where == "event":  # a model-level check names its field first
        where, message = (part.strip() for part in message.split(":", 1))
    return where, message


def _first_of_each_id(valid: list[_Valid], result: EventsResult) -> list[_Valid]:
    """The first event of each client id in the batch; later ones count as duplicates."""
    seen: set[str] = set()
    kept: list[_Valid] = []
    for item in valid:
        if item.event.id in seen:
            result.duplicates += 1
            continue
        seen.add(item.event.id)
        kept.append(item)
    return kept


def _user_ids(session: Session, valid: list[_Valid], result: EventsResult) -> dict[str, int]:
    names = sorted({item.event.username for item in valid})
    known = repo.resolve_users(session, names)
    missing = [name for name in names if name not in known]
    created = repo.create_users(session, missing)
    result.users_created = len(created)
    return {**known, **created}


def _on_known_posts(session: Session, valid: list[_Valid], result: EventsResult) -> list[_Valid]:
    posts = repo.known_posts(session, [item.event.post_id for item in valid])
    kept: list[_Valid] = []
    for item in valid:
        if item.event.post_id in posts:
            kept.append(item)
        else:
            result.rejected.append(
                Rejected(item.index, "post_id", f"unknown post {item.event.post_id}")
            )
    return kept


def _rows(valid: list[_Valid], user_ids: dict[str, int], now: datetime) -> list[dict[str, Any]]:
    return [
        {"client_event_id": item.event.id, "kind": item.event.kind,
         "user_id": user_ids[item.event.username], "post_id": item.event.post_id,
         "rating": item.event.rating, "occurred_at": item.event.at or now}
        for item in valid
    ]  # fmt: skip
