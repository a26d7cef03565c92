"""Prometheus metrics: request counts and latency per route, served at `/metrics`.

A plain ASGI middleware (not `BaseHTTPMiddleware`, which costs a task per request) times each
request and labels it with the route template, so `/feed?username=...` is one series.

Under `videorec serve --workers N` each worker is its own process: the series are kept in
prometheus_client's multiprocess mode (memory-mapped files in `PROMETHEUS_MULTIPROC_DIR`, set
by `serve` before the workers start) and `/metrics` sums every worker's files, so any worker
answers a scrape with the whole server's counts.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

BUCKETS = (0.001, 0.002, 0.004, 0.008, 0.015, 0.03, 0.06, 0.12, 0.25, 0.5, 1.0, 2.5)
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


PROMETHEUS_FILE = re.compile(r"(counter|histogram|summary|gauge_[a-z]+)_\d+\.db")
"""A file prometheus_client's multiprocess mode writes: `{type}[_{gauge mode}]_{pid}.db`."""


def use_multiprocess_dir(path: Path) -> None:
    """Remove a previous run's Prometheus files from `path` and point this process and its
    children at it. Only prometheus_client's own files go: `PROMETHEUS_MULTIPROC_DIR` may name
    a folder that holds other things (`var`, with the database in it).

    Call before the worker processes start (they import prometheus_client afresh).
    """
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        if PROMETHEUS_FILE.fullmatch(stale.name):
            stale.unlink()
    os.environ[MULTIPROC_ENV] = str(path)


class Metrics:
    """The registry and the two request series of one app."""

    def __init__(self) -> None:
        shared = os.environ.get(MULTIPROC_ENV)
        if shared:  # prometheus_client writes there on the first request: the folder must exist
            Path(shared).mkdir(parents=True, exist_ok=True)
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "videorec_http_requests", "HTTP requests", ["route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "videorec_http_request_seconds", "HTTP request latency", ["route"],
            buckets=BUCKETS, registry=self.registry,
        )  # fmt: skip

    def endpoint(self, _request: Request) -> Response:
        """`GET /metrics` in the Prometheus text format (every worker's, in multiprocess mode)."""
        registry = self.registry
        shared = os.environ.get(MULTIPROC_ENV)
        if shared:
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry, path=shared)  # type: ignore[no-untyped-call]
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


class MetricsMiddleware:
    """Counts and times every HTTP request by route template and status."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            name = getattr(route, "path", "unmatched")
            self.metrics.requests.labels(name, str(status)).inc()
            self.metrics.latency.labels(name).observe(time.perf_counter() - start)
