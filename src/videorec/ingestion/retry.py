"""Retry policy of the upstream client: bounded attempts, exponential backoff with full jitter."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
"""Statuses worth another try (any other 5xx is retried too; see `is_retryable_status`)."""


def is_retryable_status(status: int) -> bool:
    """429 and every 5xx are transient; other statuses are final."""
    return status == 429 or status >= 500


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently the client retries.

    Usage:
        >>> policy = RetryPolicy(attempts=5, backoff=0.5)
        >>> policy.delay(attempt=2, retry_after=None, rng=random.Random(0))

    Attributes:
        attempts: tries per request in all (1 disables retries).
        backoff: base delay in seconds; attempt n waits up to backoff * 2**(n-1).
        max_backoff: ceiling of one computed delay, in seconds.
        max_retry_after: ceiling of a server's Retry-After we agree to wait, in seconds.
    """

    attempts: int = 6
    backoff: float = 0.5
    max_backoff: float = 30.0
    max_retry_after: float = 120.0

    def delay(self, *, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to wait before the next try.

        Args:
            attempt: the 1-based number of the try that just failed.
            retry_after: the server's Retry-After in seconds, when it sent one.
            rng: source of jitter.
        """
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after)
        ceiling = min(self.backoff * 2.0 ** (attempt - 1), self.max_backoff)
        # "Equal jitter": at least half the exponential delay, so retries still spread out.
        return ceiling / 2 + rng.uniform(0, ceiling / 2)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """A Retry-After header (delta seconds or an HTTP date) as seconds; None when absent or bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)  # delta-seconds
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)
