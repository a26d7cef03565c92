"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from sqlalchemy import Engine

from videorec import __version__
from videorec.api.errors import install_error_handlers
from videorec.api.feed_setup import start_feed, stop_feed
from videorec.api.metrics import Metrics, MetricsMiddleware
from videorec.api.routes import events, feed, health, posts
from videorec.api.ui import install_ui
from videorec.kit.db import make_engine, make_sessionmaker
from videorec.logging import configure_logging
from videorec.serving.registry import PipelineRegistry
from videorec.settings import Settings, get_settings


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

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.log_level, json=settings.log_json)
        settings.check_production()  # also under a bare `uvicorn videorec.main:app`
        settings.ensure_dirs()
        own_engine = engine or make_engine(settings.database_url)
        app.state.settings = settings
        app.state.engine = own_engine
        app.state.sessionmaker = make_sessionmaker(own_engine)
        start_feed(app, settings, registry, own_engine if engine is None else None)
        app.state.feed.registry.warm_up()  # only the app's own engine: not under test engines
        try:
            yield
        finally:
            stop_feed(app)
            if engine is None:
                own_engine.dispose()

    app = FastAPIOffline(  # /docs and /redoc load their assets from the app, not a CDN
        title="videorec",
        version=__version__,
        description="Personalised short-video feeds, cold start by mood, content and popularity.",
        lifespan=lifespan,
        swagger_ui_parameters={"validatorUrl": None},  # no badge fetched from swagger.io
    )
    install_error_handlers(app)
    metrics = Metrics()
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_route("/metrics", metrics.endpoint, include_in_schema=False)
    app.include_router(health.router)
    app.include_router(posts.router)
    app.include_router(feed.router)
    app.include_router(events.router)
    install_ui(app)
    return app
