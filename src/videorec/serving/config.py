"""Feed serving configuration: `configs/serve/default.toml` parsed into a pydantic model."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, Field

DEFAULT_CONFIG = Path("configs/serve/default.toml")


class FeedConfig(BaseModel):
    """Knobs of candidate generation, ranking, re-ranking and feed sessions (see the toml)."""

    default_page_size: int = Field(20, ge=1, le=100)
    max_page_size: int = Field(100, ge=1, le=100)
    session_pool_size: int = Field(500, ge=1)
    session_ttl_s: int = Field(3600, ge=1)
    max_per_creator: int = Field(3, ge=1)
    max_per_category: int = Field(8, ge=1)
    mmr_lambda: float = Field(0.75, ge=0.0, le=1.0)
    exploration_slots: int = Field(1, ge=0)
    explore_max_views: int = Field(50, ge=0)
    cold_start_min_events: int = Field(3, ge=0)
    history_limit: int = Field(200, ge=1)
    exclude_kinds: list[str] = ["view", "like", "inspire", "rating"]
    trend_half_life_s: int = Field(259_200, ge=1)
    refresh_s: float = Field(30.0, ge=0.0)
    covisit_history: int = Field(20, ge=1)
    covisit_neighbors: int = Field(50, ge=1)
    source_limits: dict[str, int] = {}
    source_weights: dict[str, float] = {}

    def limit(self, source: str) -> int:
        """Candidates asked of a source (200 when not configured)."""
        return self.source_limits.get(source, 200)

    def weight(self, source: str) -> float:
        """Blend weight of a source in model-free ranking (0.5 when not configured)."""
        return self.source_weights.get(source, 0.5)


def load_feed_config(path: Path | None = None) -> FeedConfig:
    """The config at `path` (default `configs/serve/default.toml`); built-in defaults if absent."""
    path = path or DEFAULT_CONFIG
    if not path.exists():
        return FeedConfig()
    with path.open("rb") as handle:
        return FeedConfig.model_validate(tomllib.load(handle))
