"""The domain error tree. Lower layers raise these; `api/errors.py` renders them in one place.

VideorecError (500)
├── InvalidInput (400)          bad parameters that pass type validation
│   └── InvalidCursor (400)     a cursor that is malformed, tampered with or expired
├── Unauthorized (401)          no API key, or one that is unknown or revoked
│   └── SignInRequired (401)    a dashboard page without a live sign-in (redirects to /ui/login)
├── Forbidden (403)             a key without the scope the route needs
├── NotFound (404)
├── PayloadTooLarge (413)       a request body over the size limit
├── RateLimited (429)           over the key's (or address's) rate limit; says when to retry
├── ServiceUnavailable (503)    database unreachable, model not loaded
├── RequestTimeout (504)        a request that ran past the per-request time limit
├── ConfigurationError (500)    settings that cannot work
└── UpstreamError               the Socialverse API (see ingestion/errors.py)
"""

from __future__ import annotations


class VideorecError(Exception):
    """Base of every error videorec raises on purpose.

    Args:
        message: a sentence a user can act on.
        code: a stable machine-readable code for clients.
        status_code: the HTTP status it maps to.
    """

    code = "internal_error"
    status_code = 500

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    @property
    def headers(self) -> dict[str, str]:
        """HTTP headers the response must carry (e.g. `Retry-After`)."""
        return {}


class InvalidInput(VideorecError):
    code = "invalid_input"
    status_code = 400


class InvalidCursor(InvalidInput):
    code = "invalid_cursor"


class Unauthorized(VideorecError):
    code = "unauthorized"
    status_code = 401

    @property
    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": "Bearer"}


class SignInRequired(Unauthorized):
    """A `/ui` request with no valid key or session cookie: the dashboard sends it to sign in."""


class Forbidden(VideorecError):
    code = "forbidden"
    status_code = 403


class PayloadTooLarge(VideorecError):
    code = "payload_too_large"
    status_code = 413


class RateLimited(VideorecError):
    code = "rate_limited"
    status_code = 429

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_s)}


class RequestTimeout(VideorecError):
    code = "timeout"
    status_code = 504


class NotFound(VideorecError):
    code = "not_found"
    status_code = 404


class ServiceUnavailable(VideorecError):
    code = "unavailable"
    status_code = 503


class ConfigurationError(VideorecError):
    code = "configuration_error"
    status_code = 500
