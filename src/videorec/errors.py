"""The domain error tree. Lower layers raise these; `api/errors.py` renders them in one place.

VideorecError (500)
├── InvalidInput (400)          bad parameters that pass type validation
│   └── InvalidCursor (400)     a cursor that is malformed, tampered with or expired
├── NotFound (404)
├── ServiceUnavailable (503)    database unreachable, model not loaded
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


class InvalidInput(VideorecError):
    code = "invalid_input"
    status_code = 400


class InvalidCursor(InvalidInput):
    code = "invalid_cursor"


class NotFound(VideorecError):
    code = "not_found"
    status_code = 404


class ServiceUnavailable(VideorecError):
    code = "unavailable"
    status_code = 503


class ConfigurationError(VideorecError):
    code = "configuration_error"
    status_code = 500
