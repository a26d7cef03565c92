"""Injected faults of the replay server, seeded so every run misbehaves the same way.

Per request (in arrival order, from one seeded RNG): a 500, a 429 with Retry-After, or a
dropped connection (the body is cut mid-transfer). Per item: whether it is served malformed
depends only on (seed, resource, position), never on the request, so a retried or re-fetched
page is malformed the same way and the quarantined set is predictable (`malformed_positions`).
"""

from __future__ import annotations

import enum
import hashlib
import random
import threading
from dataclasses import dataclass
from typing import Any

import orjson


class Fault(enum.Enum):
    NONE = "none"
    SERVER_ERROR = "server_error"
    RATE_LIMITED = "rate_limited"
    DROP = "drop"


@dataclass(frozen=True)
class FaultConfig:
    """What can go wrong, and how often.

    Attributes:
        latency_ms: added to every response.
        fail_rate: share of requests answered 500.
        rate_limit_rate: share of requests answered 429 with `Retry-After: retry_after`.
        drop_rate: share of requests whose connection is dropped mid-body.
        malformed_rate: share of items served malformed.
        retry_after: seconds sent in Retry-After.
        seed: seeds every decision.
    """

    latency_ms: float = 0.0
    fail_rate: float = 0.0
    rate_limit_rate: float = 0.0
    drop_rate: float = 0.0
    malformed_rate: float = 0.0
    retry_after: float = 1.0
    seed: int = 0


class FaultPlan:
    """Draws the fault of each request and the malformed items, reproducibly."""

    def __init__(self, config: FaultConfig) -> None:
        self.config = config
        self._rng = random.Random(config.seed)
        self._lock = threading.Lock()

    def next_fault(self) -> Fault:
        """The fault for the next request (drawn in arrival order)."""
        cfg = self.config
        with self._lock:
            draw = self._rng.random()
        rates = ((Fault.SERVER_ERROR, cfg.fail_rate), (Fault.RATE_LIMITED, cfg.rate_limit_rate),
                 (Fault.DROP, cfg.drop_rate))  # fmt: skip
        for fault, rate in rates:
            if draw < rate:
                return fault
            draw -= rate
        return Fault.NONE

    def is_malformed(self, resource: str, position: int) -> bool:
        """Whether the item at 0-based `position` of `resource` is served malformed."""
        rate = self.config.malformed_rate
        if rate <= 0:
            return False
        digest = hashlib.blake2b(
            f"{self.config.seed}:{resource}:{position}".encode(), digest_size=8
        )
        return int.from_bytes(digest.digest(), "big") / 2**64 < rate

    def malformed_positions(self, resource: str, count: int) -> list[int]:
        """Every position of `resource` (of `count` items) that is served malformed."""
        return [pos for pos in range(count) if self.is_malformed(resource, pos)]


def malform(item: bytes, position: int) -> bytes:
    """A broken copy of a serialised item: its id or a required field made invalid."""
    data: Any = orjson.loads(item)
    if not isinstance(data, dict):
        return orjson.dumps({"id": f"malformed-{position}"})
    if position % 2 == 0:
        data["id"] = f"malformed-{position}"
    else:
        data["id"] = None
        data["malformed_at"] = position
    return orjson.dumps(data)
