"""Token buckets: `capacity` requests at once, refilled at `capacity / window` per second.

`LocalBuckets` live in the process; `RedisBuckets` live in Redis (one atomic Lua script per
request, on Redis's clock), so every replica shares one budget per client. If Redis fails, the
process's own buckets take over until it answers again: a limit half-enforced beats an outage.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Protocol

import structlog
from redis import Redis
from redis.exceptions import RedisError

log = structlog.get_logger(__name__)


class Limiter(Protocol):
    def take(self, client: str) -> float:
        """Spend one token of `client`'s bucket: 0.0 when allowed, else seconds until one is."""


class LocalBuckets:
    """In-process buckets (one per client key), bounded in number."""

    def __init__(self, capacity: int, window_s: float, max_clients: int = 100_000) -> None:
        self.capacity = float(capacity)
        self.rate = capacity / window_s
        self.max_clients = max_clients
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, client: str) -> float:
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / self.rate
            if len(self._buckets) >= self.max_clients and client not in self._buckets:
                self._buckets.clear()  # a flood of addresses: start over rather than grow
            self._buckets[client] = (tokens - 1 if wait == 0.0 else tokens, now)
        return wait


_TAKE = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or capacity
local last = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - last) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate * 1000) + 1000)
return tostring(wait)
"""


class RedisBuckets:
    """Buckets shared by every replica through Redis; local buckets while Redis fails."""

    def __init__(self, redis: Redis, capacity: int, window_s: float,
                 prefix: str = "videorec:rate:") -> None:  # fmt: skip
        self.redis = redis
        self.capacity = capacity
        self.rate = capacity / window_s
        self.prefix = prefix
        self.fallback = LocalBuckets(capacity, window_s)
        self._script = redis.register_script(_TAKE)
        self._warned_at = -math.inf

    def take(self, client: str) -> float:
        try:
            answer = self._script(keys=[self.prefix + client], args=[self.capacity, self.rate])
        except RedisError as exc:
            if time.monotonic() - self._warned_at > 60:  # one line a minute, not one a request
                self._warned_at = time.monotonic()
                log.warning("rate_limit_redis_down", error=type(exc).__name__,
                            using="in-process buckets")  # fmt: skip
            return self.fallback.take(client)
        return float(answer.decode() if isinstance(answer, bytes) else answer)
