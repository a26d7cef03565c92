"""Errors of the upstream Socialverse API client.

VideorecError
└── UpstreamError                 anything that went wrong talking to the upstream API
    ├── UpstreamUnavailable (503) timeouts, connection errors, 429 and 5xx after every retry
    └── UpstreamRejected (502)    a 4xx the client must not retry (401/403: a token or key to fix)

The messages never contain the token or the resonance key.
"""

from __future__ import annotations

from videorec.errors import VideorecError


class UpstreamError(VideorecError):
    """Base of every upstream failure."""

    code = "upstream_error"
    status_code = 502


class UpstreamUnavailable(UpstreamError):
    """The upstream could not be reached or kept failing after the last retry."""

    code = "upstream_unavailable"
    status_code = 503


class UpstreamRejected(UpstreamError):
    """The upstream answered with a status that retrying cannot fix.

    Args:
        message: what to do about it (names the setting to fix for 401/403).
        status_code: the upstream HTTP status.
        body: the start of the upstream body, for diagnosis.
    """

    code = "upstream_rejected"

    def __init__(self, message: str, *, status_code: int, body: str = "") -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body = body[:500]
