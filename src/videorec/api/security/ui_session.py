"""Dashboard sign-in: a browser cannot send `Authorization: Bearer`, so `/ui` also takes a cookie.

The operator pastes an admin key into `/ui/login`; the server checks it like a bearer key and
sets a cookie holding a signed session token, never the key:

    <key prefix>.<expiry, epoch s>.<HMAC-SHA256 of both and of the key's stored hash>

The HMAC key is derived from the cursor secret, and the message includes the key's stored hash
(which only the database knows), so a token cannot be forged even with the public dev secret.
A token dies at its expiry, when its key is revoked (within the guard's key-cache time), and
when the cursor secret changes. `require_ui_scope` accepts the cookie; `require_scope`, which
guards the JSON API, never reads it.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable

from fastapi import Request

from videorec.api.security.guard import Client, Guard
from videorec.api.security.keys import hash_key, prefix_of
from videorec.errors import ConfigurationError, SignInRequired, Unauthorized

COOKIE = "videorec_ui"
TTL_S = 8 * 3600
"""How long a dashboard sign-in lasts (a working day)."""
_PURPOSE = b"videorec ui session v1"


def issue_token(secret: str, prefix: str, key_hash: str, *, now: float | None = None) -> str:
    """A session token for the key with `prefix` (and stored `key_hash`), valid for `TTL_S`."""
    expires = int((time.time() if now is None else now) + TTL_S)
    return f"{prefix}.{expires}.{_sign(secret, prefix, expires, key_hash)}"


def sign_in(request: Request, key: str, scope: str) -> str:
    """A session token for `key`, once the guard admits it for `scope` like a bearer key.

    Raises:
        Unauthorized: the key is missing, malformed, unknown or revoked.
        Forbidden: the key lacks `scope`.
    """
    key = key.strip()
    _guard(request).admit(request.app.state.sessionmaker, f"Bearer {key}", _address(request), scope)
    prefix = prefix_of(key)
    if prefix is None:  # the guard refuses such a key already; never sign a malformed one
        raise Unauthorized("unknown or revoked API key")
    return issue_token(_secret(request), prefix, hash_key(key))


def require_ui_scope(scope: str) -> Callable[[Request], Awaitable[Client]]:
    """Like `require_scope`, but also admits the dashboard's session cookie (for `/ui` only).

    A bearer key, when sent, is checked as usual. Without one, the cookie must be a live
    session of a key holding `scope`; otherwise `SignInRequired` (the UI sends the browser to
    `/ui/login`).
    """

    async def admit(request: Request) -> Client:
        guard = _guard(request)
        makers = request.app.state.sessionmaker
        authorization = request.headers.get("authorization")
        token = request.cookies.get(COOKIE)
        try:
            if authorization or not guard.auth_required or not token:
                client = guard.admit(makers, authorization, _address(request), scope)
            else:
                client = _admit_session(request, guard, token, scope)
        except Unauthorized as exc:
            raise SignInRequired(exc.message) from exc
        request.state.client = client
        return client

    admit.__name__ = f"require_ui_{scope.replace(':', '_')}"
    return admit


def _admit_session(request: Request, guard: Guard, token: str, scope: str) -> Client:
    prefix, _, rest = token.partition(".")
    expires, _, signature = rest.partition(".")
    if not (prefix and expires.isdigit() and signature) or int(expires) <= time.time():
        raise Unauthorized("your dashboard session has ended; sign in again")
    secret = _secret(request)

    def proves(key_hash: str) -> bool:
        return hmac.compare_digest(_sign(secret, prefix, int(expires), key_hash), signature)

    return guard.admit_session(request.app.state.sessionmaker, prefix, proves,
                               _address(request), scope)  # fmt: skip


def _sign(secret: str, prefix: str, expires: int, key_hash: str) -> str:
    derived = hmac.new(secret.encode(), _PURPOSE, hashlib.sha256).digest()
    message = f"{prefix}.{expires}.{key_hash}".encode()
    return hmac.new(derived, message, hashlib.sha256).hexdigest()


def _guard(request: Request) -> Guard:
    guard: Guard | None = getattr(request.app.state, "guard", None)
    if guard is None:
        raise ConfigurationError("the app has no security guard; build it with create_app")
    return guard


def _secret(request: Request) -> str:
    return str(request.app.state.settings.cursor_secret.get_secret_value())


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


__all__ = ["COOKIE", "TTL_S", "issue_token", "require_ui_scope", "sign_in"]
