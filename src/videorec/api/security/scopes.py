"""What an API key may do. `admin` may do everything."""

from __future__ import annotations

FEED_READ = "feed:read"
EVENTS_WRITE = "events:write"
ADMIN = "admin"
SCOPES = (FEED_READ, EVENTS_WRITE, ADMIN)


def parse_scopes(text: str) -> list[str]:
    """`"feed:read,admin"` -> `["feed:read", "admin"]`, in the canonical order, no repeats.

    Raises:
        ValueError: an unknown scope, or none at all.
    """
    asked = {part.strip() for part in text.split(",") if part.strip()}
    unknown = sorted(asked - set(SCOPES))
    if unknown:
        raise ValueError(f"unknown scope(s) {', '.join(unknown)}; known: {', '.join(SCOPES)}")
    if not asked:
        raise ValueError(f"give at least one scope of {', '.join(SCOPES)}")
    return [scope for scope in SCOPES if scope in asked]


def grants(held: list[str], needed: str) -> bool:
    """Whether a key holding `held` may use a route that needs `needed`."""
    return needed in held or ADMIN in held
