"""Who is calling, and may they: API key lookup (cached briefly), scope check, rate limit.

Keys are looked up by their public prefix and compared with the stored SHA-256 in constant time;
an unknown prefix is compared against a dummy hash too, so timing says nothing. Lookups are
cached for `cache_ttl_s` (a revoked key stops working within that time).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from videorec.api.security.keys import hash_key, matches, prefix_of
from videorec.api.security.ratelimit import Limiter
from videorec.api.security.scopes import grants
from videorec.errors import Forbidden, RateLimited, Unauthorized
from videorec.storage.repositories import api_keys

_DUMMY_HASH = hash_key("vr_000000000000_not-a-key")


@dataclass(frozen=True)
class Client:
    """The caller of one request: a key's name and scopes, or an address when auth is off."""

    name: str | None
    scopes: tuple[str, ...]
    address: str

    @property
    def bucket(self) -> str:
        return f"key:{self.name}" if self.name is not None else f"addr:{self.address}"


@dataclass(frozen=True)
class _Known:
    name: str
    key_hash: str
    scopes: tuple[str, ...]


class Guard:
    """The app's authentication and rate-limit policy."""

    def __init__(self, *, auth_required: bool, limiter: Limiter | None,
                 cache_ttl_s: float = 5.0, max_cached: int = 10_000) -> None:  # fmt: skip
        self.auth_required = auth_required
        self.limiter = limiter
        self.cache_ttl_s = cache_ttl_s
        self.max_cached = max_cached
        self._cache: dict[str, tuple[float, _Known | None]] = {}
        self._lock = threading.Lock()

    def admit(self, makers: sessionmaker[Session], authorization: str | None,
              address: str, scope: str) -> Client:  # fmt: skip
        """The client, once authenticated, authorised for `scope` and within its rate.

        Raises:
            Unauthorized: auth is on and the key is missing, malformed, unknown or revoked.
            Forbidden: the key lacks `scope`.
            RateLimited: the client's bucket is empty.
        """
        client = Client(None, (), address)
        if self.auth_required:
            client = self._authenticate(makers, authorization, address)
        return self._authorise(client, scope)

    def admit_session(
        self,
        makers: sessionmaker[Session],
        prefix: str,
        proves: Callable[[str], bool],
        address: str,
        scope: str,
    ) -> Client:
        """Like `admit`, for a signed session of the key with `prefix` (the dashboard's cookie):
        `proves(stored key hash)` checks the session's signature.

        Raises:
            Unauthorized: no live key has `prefix`, or the signature does not match it.
            Forbidden, RateLimited: as `admit`.
        """
        known = self._lookup(makers, prefix)
        if known is None or not proves(known.key_hash):
            raise Unauthorized("your dashboard session has ended or its key was revoked")
        return self._authorise(Client(known.name, known.scopes, address), scope)

    def _authorise(self, client: Client, scope: str) -> Client:
        if self.auth_required and not grants(list(client.scopes), scope):
            raise Forbidden(f"this API key lacks the {scope!r} scope")
        self._limit(client)
        return client

    def _authenticate(self, makers: sessionmaker[Session], authorization: str | None,
                      address: str) -> Client:  # fmt: skip
        scheme, _, secret = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise Unauthorized("send an API key as 'Authorization: Bearer <key>'")
        secret = secret.strip()
        prefix = prefix_of(secret)
        known = self._lookup(makers, prefix) if prefix is not None else None
        if not matches(secret, known.key_hash if known else _DUMMY_HASH) or known is None:
            raise Unauthorized("unknown or revoked API key")
        return Client(known.name, known.scopes, address)

    def _lookup(self, makers: sessionmaker[Session], prefix: str) -> _Known | None:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(prefix)
        if hit is not None and hit[0] > now:
            return hit[1]
        with makers() as session:
            row = api_keys.find_live(session, prefix)
            known = _Known(row.name, row.key_hash, tuple(row.scopes)) if row else None
        with self._lock:
            if len(self._cache) >= self.max_cached:
                self._cache.clear()
            self._cache[prefix] = (now + self.cache_ttl_s, known)
        return known

    def _limit(self, client: Client) -> None:
        if self.limiter is None:
            return
        wait = self.limiter.take(client.bucket)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise RateLimited(f"rate limit reached; retry in {seconds} s", retry_after_s=seconds)
