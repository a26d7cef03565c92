"""Wire the feed into the app's lifespan: config, embedding cache, registry, service, Redis."""

from __future__ import annotations

import sys
from functools import partial

import anyio
from fastapi import FastAPI
from redis import Redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from threadpoolctl import threadpool_limits

from videorec.api.page_refills import PageRefills
from videorec.api.post_cache import PresentedPosts
from videorec.api.session_writes import PendingSession, SessionWrites
from videorec.features.text import EmbeddingCache, Matrix, encode
from videorec.kit.db import make_sessionmaker
from videorec.serving.config import FeedConfig, load_feed_config
from videorec.serving.feed import FeedService
from videorec.serving.pool_warmer import PoolWarmer
from videorec.serving.ranked_pools import RANKED_POOLS, RankedPools
from videorec.serving.registry import PipelineRegistry
from videorec.serving.sessions import RecentSessions, shared_store
from videorec.serving.user_changes import UserChanges, UserChangesPoller
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
    """Put `feed` (a FeedService), `feed_limiter`, `recent_sessions`, `page_refills`, `redis`
    (a client or None), `session_writes`, `user_changes` and `pool_warmer` (each None unless
    new sessions open in memory) on `app.state`.

    Args:
        registry: an injected registry, else one over an on-disk embedding cache.
        engine: the app's own engine, used for background refreshes (None: refresh inline)
            and, with `open_in_memory`, for the change poller, the session writer and the
            pool warmer (None: every new session reads its history and is stored first).
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
    pools = RankedPools(max(RANKED_POOLS, 2 * config.warm_pools))
    changes = UserChanges() if engine is not None and config.open_in_memory else None
    app.state.feed = FeedService(registry, config, secret, pools=pools, changes=changes)
    app.state.presented = PresentedPosts()
    app.state.recent_sessions = RecentSessions()
    app.state.page_refills = PageRefills()
    app.state.feed_limiter = anyio.CapacityLimiter(FEED_THREADS)
    app.state.redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    app.state.session_writes = app.state.user_changes = app.state.pool_warmer = None
    if engine is not None and changes is not None:
        _open_in_memory(app, config, make_sessionmaker(engine), changes)


def _open_in_memory(
    app: FastAPI, config: FeedConfig, sessions: sessionmaker[Session], changes: UserChanges
) -> None:
    """Start what new sessions opened in memory need: the change poller, the session writer
    (the store `session_store` would use) and the pool warmer (a registry listener)."""
    redis: Redis | None = app.state.redis

    def write(batch: list[PendingSession]) -> None:
        with sessions() as db:
            shared_store(db, redis).create_many([pending.new() for pending in batch])
            db.commit()

    poller = UserChangesPoller(changes, sessions, config.user_changes_poll_s)
    poller.start()
    app.state.user_changes = poller
    app.state.session_writes = SessionWrites(write, app.state.recent_sessions)
    presented: PresentedPosts = app.state.presented
    warmer = PoolWarmer(app.state.feed, sessions, config.warm_pools,
                        present=presented.get_many_encoded)  # fmt: skip
    app.state.feed.registry.listeners.append(warmer)
    app.state.pool_warmer = warmer


def stop_feed(app: FastAPI) -> None:
    """Stop the pool warmer, store the sessions still queued, stop the change poller, close
    the Redis client."""
    warmer: PoolWarmer | None = getattr(app.state, "pool_warmer", None)
    if warmer is not None:
        warmer.stop()
    writes: SessionWrites | None = getattr(app.state, "session_writes", None)
    if writes is not None:
        writes.close()
    poller: UserChangesPoller | None = getattr(app.state, "user_changes", None)
    if poller is not None:
        poller.stop()
    redis = getattr(app.state, "redis", None)
    if redis is not None:
        redis.close()
