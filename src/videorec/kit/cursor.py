"""Opaque, tamper-evident cursors: a JSON payload signed with HMAC-SHA256, base64url encoded.

Example:
    token = encode_cursor({"s": "abc", "p": 2}, secret=b"k", ttl_s=3600)
    decode_cursor(token, secret=b"k")  # {"s": "abc", "p": 2, "e": ...}
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

import orjson

from videorec.errors import InvalidCursor

_SIG_BYTES = 16


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(body: bytes, secret: bytes) -> bytes:
    return hmac.new(secret, body, hashlib.sha256).digest()[:_SIG_BYTES]


def encode_cursor(payload: dict[str, Any], *, secret: bytes, ttl_s: int) -> str:
    """Sign `payload` (plus an expiry `e`, epoch seconds) into a URL-safe token."""
    body = orjson.dumps({**payload, "e": int(time.time()) + ttl_s})
    return f"{_b64(body)}.{_b64(_sign(body, secret))}"


def decode_cursor(token: str, *, secret: bytes) -> dict[str, Any]:
    """The payload of a token this secret signed.

    Raises:
        InvalidCursor: malformed, signed with another key, altered, or expired.
    """
    try:
        body_part, sig_part = token.split(".")
        body, signature = _unb64(body_part), _unb64(sig_part)
    except (ValueError, UnicodeEncodeError) as exc:
        raise InvalidCursor("cursor is malformed; start again without a cursor") from exc
    if not hmac.compare_digest(signature, _sign(body, secret)):
        raise InvalidCursor("cursor signature does not match; start again without a cursor")
    payload = orjson.loads(body)
    if not isinstance(payload, dict) or int(payload.get("e", 0)) < time.time():
        raise InvalidCursor("cursor has expired; start again without a cursor")
    return payload
