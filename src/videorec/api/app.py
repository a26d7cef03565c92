"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import fastapi_offline
import structlog
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from redis import Redis
from sqlalchemy import Engine
from starlette.responses import HTMLResponse, Response

from videorec import __version__
from videorec.api.errors import install_error_handlers
from videorec.api.feed_setup import start_feed, stop_feed
from videorec.api.limits import BodySizeLimit, RequestTimeout
from videorec.api.metrics import Metrics, MetricsMiddleware
from videorec.api.openapi import openapi_builder
from videorec.api.request_log import RequestLog
from videorec.api.responses import JSONBytesResponse
from videorec.api.routes import events, feed, health, posts
from videorec.api.security import Admin, EventsWriter, FeedReader, Guard, UiAdmin
from videorec.api.security.ratelimit import Limiter, LocalBuckets, RedisBuckets
from videorec.api.ui import install_ui
from videorec.kit.db import make_engine, make_sessionmaker
from videorec.kit.wal import BackgroundCheckpoints
from videorec.logging import configure_logging
from videorec.serving.registry import PipelineRegistry
from videorec.settings import Settings, get_settings

log = structlog.get_logger(__name__)
DOCS_ASSETS = "/docs-assets"
OFFLINE_ASSETS = Path(fastapi_offline.__file__).parent / "static"


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    registry: PipelineRegistry | None = None,
) -> FastAPI:
    """Build the app. Long-lived things (engine, sessionmaker, feed state) are made once.

    Args:
        settings: configuration; `get_settings()` when omitted.
        engine: an engine to use instead of building one (tests); the caller disposes it.
        registry: the feed's pipeline registry (tests inject one with their own model loader).
    """
    settings = settings or get_settings()
    limiter_redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    guard = Guard(auth_required=bool(settings.auth_required),
                  limiter=_limiter(settings, limiter_redis))  # fmt: skip

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.log_level, json=settings.log_json)
        settings.check_production()  # also under a bare `uvicorn videorec.main:app`
        _announce(settings)
        settings.ensure_dirs()
        own_engine = engine or make_engine(settings.database_url)
        # SQLite's WAL checkpoints off the requests' commits (kit/wal.py); not on a test's engine.
        # Made before the first connection (it sets a pragma on connect), started once up.
        checkpoints = BackgroundCheckpoints(own_engine) if engine is None else None
        app.state.settings = settings
        app.state.engine = own_engine
        app.state.sessionmaker = make_sessionmaker(own_engine)
        start_feed(app, settings, registry, own_engine if engine is None else None)
        app.state.feed.registry.warm_up()  # only the app's own engine: not under test engines
        if checkpoints is not None:
            checkpoints.start()
        try:
            yield
        finally:
            try:
                await app.state.page_refills.close()
            finally:  # the rest of the shutdown runs even if a refill's wait fails
                stop_feed(app)
                if limiter_redis is not None:
                    limiter_redis.close()
                if checkpoints is not None:
                    checkpoints.close()
                if engine is None:
                    own_engine.dispose()

    app = FastAPI(
        title="videorec",
        version=__version__,
        description="Personalised short-video feeds, cold start by mood, content and popularity.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,  # served below, behind the admin scope
    )
    app.state.guard = guard
    install_error_handlers(app)
    metrics = Metrics()
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestTimeout, timeout_s=settings.request_timeout_s)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(RequestLog)  # outermost: sees every status, tags every response
    app.add_api_route("/metrics", metrics.endpoint, include_in_schema=False,
                      dependencies=[Admin])  # fmt: skip
    _add_docs(app, auth_required=guard.auth_required)
    app.include_router(health.router)
    app.include_router(posts.router, dependencies=[FeedReader])
    app.include_router(feed.router, dependencies=[FeedReader])
    app.include_router(events.router, dependencies=[EventsWriter])
    install_ui(app, dependencies=[UiAdmin])  # a browser signs in at /ui/login
    return app


def _limiter(settings: Settings, redis: Redis | None) -> Limiter | None:
    rate = settings.requests_per_window
    if rate is None:
        return None
    return RedisBuckets(redis, *rate) if redis is not None else LocalBuckets(*rate)


def _announce(settings: Settings) -> None:
    """Say at start-up how the server is guarded, loudly when it is not."""
    if not settings.auth_required:
        log.warning(
            "auth_off",
            detail="API keys are NOT required: anyone who can reach this "
            "server can read every feed; set VIDEOREC_AUTH_REQUIRED=true "
            "(or VIDEOREC_ENV=production) and create keys with `videorec keys create`",
        )
    log.info(
        "limits",
        rate_limit=settings.rate_limit or "none",
        shared="redis" if settings.redis_url else "process",
        max_body_bytes=settings.max_body_bytes,
        request_timeout_s=settings.request_timeout_s,
    )


def _add_docs(app: FastAPI, *, auth_required: bool) -> None:
    """`/openapi.json` and `/docs`, behind the admin scope when auth is on."""
    app.openapi = openapi_builder(app, auth_required=auth_required)  # type: ignore[method-assign]

    def openapi_document() -> Response:
        return JSONBytesResponse(app.openapi())

    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json", title="videorec API",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon.png",
            swagger_ui_parameters={"validatorUrl": None},  # no badge fetched from swagger.io
        )  # fmt: skip

    # Swagger UI's scripts ship inside the fastapi-offline package: /docs works offline.
    app.mount(DOCS_ASSETS, StaticFiles(directory=OFFLINE_ASSETS), name="docs-assets")

    app.add_api_route("/openapi.json", openapi_document, include_in_schema=False,
                      dependencies=[Admin])  # fmt: skip
    app.add_api_route("/docs", docs, include_in_schema=False, dependencies=[Admin])
