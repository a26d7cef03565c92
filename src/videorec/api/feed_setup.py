"""Wire the feed into the app's lifespan: config, embedding cache, registry, service, Redis."""

from __future__ import annotations

import sys
from functools import partial

import anyio
from fastapi import FastAPI
from redis import Redis
from sqlalchemy import Engine
from threadpoolctl import threadpool_limits

from videorec.api.page_refills import PageRefills
from videorec.api.post_cache import PresentedPosts
from videorec.features.text import EmbeddingCache, Matrix, encode
from videorec.kit.db import make_sessionmaker
from videorec.serving.config import load_feed_config
from videorec.serving.feed import FeedService
from videorec.serving.ranked_pools import RankedPools
from videorec.serving.registry import PipelineRegistry
from videorec.serving.sessions import RecentSessions
from videorec.settings import Settings

FEED_THREADS = 2
"""Pages computed at once per process (worker threads); more requests wait their turn. Page
work is mostly Python holding the GIL, so more threads add no speed, and each one more makes
the event loop (`/health`, `/ready`) wait longer for its turn."""
SWITCH_INTERVAL_S = 0.001
"""How often a thread holding the GIL yields it (Python's default is 5 ms): the event loop gets
its turn within ~1 ms while page threads compute."""


def start_feed(
    app: FastAPI, settings: Settings, registry: PipelineRegistry | None, engine: Engine | None
) -> None:
    """Put `feed` (a FeedService), `feed_limiter`, `recent_sessions`, `page_refills` and `redis`
    (a client or None) on `app.state`.

    Args:
        registry: an injected registry, else one over an on-disk embedding cache.
        engine: the app's own engine, used for background refreshes (None: refresh inline).
    """
    config = load_feed_config(settings.feed_config)
    # One BLAS thread: a request's mat-vecs are small, and on a busy 2-core box OpenBLAS's second
    # thread made a 5,000 x 384 mat-vec ~25x slower (8 ms instead of 0.3 ms) waiting for a core.
    threadpool_limits(1, user_api="blas")
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    if registry is None:
        cache = EmbeddingCache(settings.embedding_cache)

        def encode_catalogue(texts: list[str]) -> Matrix:
            known = len(cache)
            vectors = cache.encode(texts)
            if len(cache) > known + 16:  # persist big batches (the catalogue), not single moods
                cache.save()
            return vectors

        # Moods bypass the cache (the registry's LRU bounds them) but share its folder: where
        # bfloat16 is not native they run on the ONNX graph training exported there, as the
        # catalogue did, instead of loading the PyTorch encoder beside it.
        encode_mood = partial(encode, onnx_dir=settings.embedding_cache.parent)
        registry = PipelineRegistry(
            config, encode_catalogue, mood_encoder=encode_mood,
            sessionmaker=make_sessionmaker(engine) if engine else None,
            snapshot_dir=settings.feed_snapshots, freeze_heap=True,
        )  # fmt: skip
    secret = settings.cursor_secret.get_secret_value().encode()
    app.state.feed = FeedService(registry, config, secret, pools=RankedPools())
    app.state.presented = PresentedPosts()
    app.state.recent_sessions = RecentSessions()
    app.state.page_refills = PageRefills()
    app.state.feed_limiter = anyio.CapacityLimiter(FEED_THREADS)
    app.state.redis = Redis.from_url(settings.redis_url) if settings.redis_url else None


def stop_feed(app: FastAPI) -> None:
    """Close the Redis client, if any."""
    redis = getattr(app.state, "redis", None)
    if redis is not None:
        redis.close()
