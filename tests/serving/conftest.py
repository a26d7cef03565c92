"""Fixtures of the feed tests: one seeded world, its index and statistics (real text encoder)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from tests.serving import world
from videorec.features.log import InteractionLog, PostCatalog
from videorec.features.text import EmbeddingCache
from videorec.serving.candidates.base import FeedContext
from videorec.serving.index import CatalogIndex, build_index
from videorec.serving.popularity import LogStats, build_stats


@dataclass
class World:
    catalog: PostCatalog
    log: InteractionLog
    index: CatalogIndex
    stats: LogStats
    cache: EmbeddingCache

    def context(self, user_id: int | None, **kwargs: object) -> FeedContext:
        history = (
            self.log.select(self.log.user_ids == user_id) if user_id else InteractionLog.empty()
        )
        rows = self.index.rows_of(history.post_ids)
        excluded = kwargs.pop("excluded_rows", np.unique(rows[rows >= 0]))
        mood = kwargs.get("mood")
        if mood and "mood_vector" not in kwargs:
            kwargs["mood_vector"] = self.cache.encode([str(mood)])[0]
        return FeedContext(self.index, self.stats, user_id, history, rows[rows >= 0],
                           np.asarray(excluded, np.int64), **kwargs)  # type: ignore[arg-type]  # fmt: skip


@pytest.fixture(scope="session")
def feed_world() -> World:
    rows = world.post_rows(160, seed=11)
    catalog = world.catalog(rows)
    log = world.events(rows, n_users=12, per_user=15, seed=11)
    cache = EmbeddingCache()
    index = build_index(catalog, cache.encode, world.CATEGORIES)
    stats = build_stats(index, log, half_life_s=86_400, history=20, neighbours=30)
    return World(catalog, log, index, stats, cache)
