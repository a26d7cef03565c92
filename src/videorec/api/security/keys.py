"""API key material: minting, hashing, and the public prefix a key is found by.

A key reads `vr_<12 hex prefix>_<43 url-safe chars>` (256 random bits). Only its SHA-256 is
stored: a key is random, not a password, so a slow hash would add latency and no strength.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

_HEAD = "vr_"
_PREFIX_LEN = 12


@dataclass(frozen=True)
class MintedKey:
    """A new key: `secret` is shown once and never stored; `prefix` and `key_hash` are."""

    secret: str
    prefix: str
    key_hash: str


def mint_key() -> MintedKey:
    prefix = secrets.token_hex(_PREFIX_LEN // 2)
    secret = f"{_HEAD}{prefix}_{secrets.token_urlsafe(32)}"
    return MintedKey(secret=secret, prefix=prefix, key_hash=hash_key(secret))


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def prefix_of(secret: str) -> str | None:
    """The public prefix of a well-formed key, else None."""
    if not secret.startswith(_HEAD) or len(secret) < len(_HEAD) + _PREFIX_LEN + 2:
        return None
    prefix = secret[len(_HEAD) : len(_HEAD) + _PREFIX_LEN]
    if secret[len(_HEAD) + _PREFIX_LEN] != "_" or not all(c in "0123456789abcdef" for c in prefix):
        return None
    return prefix


def matches(secret: str, key_hash: str) -> bool:
    """Constant-time comparison of a presented key with a stored hash."""
    return hmac.compare_digest(hash_key(secret).encode(), key_hash.encode())
