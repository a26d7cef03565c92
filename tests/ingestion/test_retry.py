"""Retry-After parsing and the backoff schedule."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from videorec.ingestion.retry import RetryPolicy, parse_retry_after


class TestParseRetryAfter:
    def test_reads_delta_seconds(self) -> None:
        assert parse_retry_after("3") == 3.0

    def test_reads_an_http_date(self) -> None:
        now = datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC)
        assert parse_retry_after("Tue, 24 Nov 2026 12:00:10 GMT", now=now) == 10.0

    def test_ignores_garbage_and_absence(self) -> None:
        assert parse_retry_after("soon") is None
        assert parse_retry_after(None) is None


class TestRetryPolicyDelay:
    def test_grows_exponentially_within_jitter_bounds(self) -> None:
        policy = RetryPolicy(backoff=1.0, max_backoff=100.0)
        rng = random.Random(1)
        for attempt in range(1, 6):
            ceiling = 2.0 ** (attempt - 1)
            assert (
                ceiling / 2 <= policy.delay(attempt=attempt, retry_after=None, rng=rng) <= ceiling
            )

    def test_retry_after_wins_but_is_capped(self) -> None:
        policy = RetryPolicy(max_retry_after=60.0)
        rng = random.Random(0)
        assert policy.delay(attempt=1, retry_after=12.0, rng=rng) == 12.0
        assert policy.delay(attempt=1, retry_after=3600.0, rng=rng) == 60.0
