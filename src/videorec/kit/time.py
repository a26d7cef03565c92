"""Time helpers. Stored datetimes are naive UTC everywhere (SQLite has no time zones)."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """Now, as a naive UTC datetime."""
    return datetime.now(UTC).replace(tzinfo=None)


def to_epoch_ms(value: datetime | None) -> int | None:
    """A naive UTC datetime as epoch milliseconds (the app's `created_at` format)."""
    if value is None:
        return None
    return int(value.replace(tzinfo=UTC).timestamp() * 1000)


def from_epoch_ms(value: int) -> datetime:
    """Epoch milliseconds as a naive UTC datetime."""
    return datetime.fromtimestamp(value / 1000, UTC).replace(tzinfo=None)
