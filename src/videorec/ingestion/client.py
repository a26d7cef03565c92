"""The upstream Socialverse API client (httpx), with timeouts and bounded retries.

Usage:
    >>> with UpstreamClient.from_settings(get_settings()) as client:
    ...     for page in client.iter_pages(VIEW, page_size=1000):
    ...         handle(page.items)

Errors are those of `ingestion/errors.py`. Secrets never appear in logs or messages: the client
logs the path, never the URL with its query, and keeps httpx's own request log (which prints
full URLs, key included) at WARNING.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any

import httpx
import orjson
import structlog
from pydantic import SecretStr

from videorec import __version__
from videorec.ingestion.errors import UpstreamRejected, UpstreamUnavailable
from videorec.ingestion.resources import Auth, Resource
from videorec.ingestion.retry import RetryPolicy, is_retryable_status, parse_retry_after
from videorec.ingestion.schemas import UpstreamPage
from videorec.settings import Settings

log = structlog.get_logger(__name__)
logging.getLogger("httpx").setLevel(logging.WARNING)
logging.getLogger("httpcore").setLevel(logging.WARNING)

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
DEFAULT_PAGE_SIZE = 1000
SETTING_FOR = {Auth.TOKEN: "FLIC_TOKEN", Auth.RESONANCE: "VIDEOREC_RESONANCE_KEY"}


def reveal(secret: SecretStr | None) -> str | None:
    """The value of an optional secret setting (to send it, never to log it)."""
    return secret.get_secret_value() if secret is not None else None


class _Retryable(Exception):
    """Internal: one try failed in a way another try may fix."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class UpstreamClient:
    """Fetches pages of the six upstream endpoints.

    Args:
        base_url: the API root (Settings.api_base_url), or a replay server's.
        flic_token: the `Flic-Token` header value for /users/get_all and /posts/summary/get.
        resonance_key: the `resonance_algorithm` key for the four engagement logs.
        timeout: connect/read/write/pool timeouts of one try.
        retry: attempts and backoff.
        transport: an httpx transport to use instead of the network (tests: MockTransport).
        sleep: how to wait between tries (tests pass a recorder instead of time.sleep).
        rng: source of backoff jitter.
    """

    def __init__(
        self,
        base_url: str,
        *,
        flic_token: str | None = None,
        resonance_key: str | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._secrets = {Auth.TOKEN: flic_token, Auth.RESONANCE: resonance_key}
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._http = httpx.Client(
            base_url=base_url,
            timeout=timeout,
            transport=transport,
            headers={"User-Agent": f"videorec/{__version__}", "Accept": "application/json"},
        )

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> UpstreamClient:
        """A client for `settings.api_base_url` with the secrets of the settings."""
        return cls(
            settings.api_base_url,
            flic_token=reveal(settings.flic_token),
            resonance_key=reveal(settings.resonance_key),
            **kwargs,
        )

    def __enter__(self) -> UpstreamClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def check_credentials(self, resource: Resource) -> None:
        """Raise UpstreamRejected at once when the secret `resource` needs is not configured."""
        if not self._secrets[resource.auth]:
            setting = SETTING_FOR[resource.auth]
            raise UpstreamRejected(
                f"{resource.path} needs {setting}; set it in the environment or .env",
                status_code=401,
            )

    def iter_pages(
        self, resource: Resource, *, start_page: int = 1, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Iterator[UpstreamPage]:
        """Pages `start_page`, `start_page + 1`, ... up to and including the first empty one."""
        number = start_page
        while True:
            page = self.fetch_page(resource, number, page_size=page_size)
            yield page
            if not page.items:
                return
            number += 1

    def fetch_page(
        self, resource: Resource, page: int, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> UpstreamPage:
        """One page of `resource`, retried on transient failures.

        Raises:
            UpstreamRejected: 401/403 (naming the setting to fix) or another final 4xx.
            UpstreamUnavailable: still failing after the last attempt.
        """
        self.check_credentials(resource)
        for attempt in range(1, self._retry.attempts + 1):
            try:
                return self._try_once(resource, page, page_size)
            except _Retryable as failure:
                log.warning("upstream_retry", path=resource.path, page=page,
                            attempt=attempt, reason=failure.reason)  # fmt: skip
                if attempt == self._retry.attempts:
                    raise UpstreamUnavailable(
                        f"{resource.path} page {page} still failing after {attempt} attempts "
                        f"({failure.reason}); is {self._http.base_url} reachable?"
                    ) from failure
                self._sleep(
                    self._retry.delay(
                        attempt=attempt, retry_after=failure.retry_after, rng=self._rng
                    )
                )
        raise AssertionError("unreachable")  # pragma: no cover

    def _try_once(self, resource: Resource, page: int, page_size: int) -> UpstreamPage:
        params: dict[str, str | int] = {"page": page, "page_size": page_size}
        headers: dict[str, str] = {}
        secret = self._secrets[resource.auth] or ""
        if resource.auth is Auth.RESONANCE:
            params["resonance_algorithm"] = secret
        else:
            headers["Flic-Token"] = secret
        try:
            response = self._http.get(resource.path, params=params, headers=headers)
        except httpx.TimeoutException as exc:
            raise _Retryable(f"timeout: {type(exc).__name__}") from exc
        except httpx.TransportError as exc:
            raise _Retryable(f"connection error: {type(exc).__name__}") from exc
        return self._parse(resource, page, response)

    def _parse(self, resource: Resource, page: int, response: httpx.Response) -> UpstreamPage:
        status = response.status_code
        if is_retryable_status(status):
            raise _Retryable(
                f"HTTP {status}", parse_retry_after(response.headers.get("Retry-After"))
            )
        if status in (401, 403):
            raise UpstreamRejected(
                f"{resource.path} answered {status}: the upstream rejected "
                f"{SETTING_FOR[resource.auth]}; check its value",
                status_code=status,
                body=response.text,
            )
        if status >= 400:
            raise UpstreamRejected(
                f"{resource.path} answered {status}", status_code=status, body=response.text
            )
        try:
            return UpstreamPage.from_envelope(
                orjson.loads(response.content), resource.list_key, page
            )
        except (orjson.JSONDecodeError, ValueError) as exc:
            raise _Retryable(f"invalid envelope: {str(exc)[:200]}") from exc
