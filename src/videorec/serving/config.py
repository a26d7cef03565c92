"""Feed serving configuration: `configs/serve/default.toml` parsed into a pydantic model."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from videorec.errors import ConfigurationError
from videorec.features.log import KIND_CODES
from videorec.kit.shipped import shipped

DEFAULT_CONFIG = Path("configs/serve/default.toml")
COLD = "cold."
"""Prefix of the cold path's learned weights."""
BLEND_NAMES = frozenset({"two_tower", "mood", "ease", "rp3beta", "item_knn", "covisit", "content",
                         "category", "trending", "fresh", "model", "popularity"})  # fmt: skip
"""What a weight or a limit may name: every candidate source (`serving.candidates`; a test holds
the two together), the active model's score and popularity."""


class FeedConfig(BaseModel):
    """Knobs of candidate generation, ranking, re-ranking and feed sessions. The defaults equal
    `configs/serve/default.toml`'s (a test holds them together), so a deployment without the file
    serves the validated knobs. A key or a name it does not know is an error, not ignored."""

    model_config = ConfigDict(extra="forbid")

    default_page_size: int = Field(20, ge=1, le=100)
    max_page_size: int = Field(100, ge=1, le=100)
    session_pool_size: int = Field(300, ge=1)
    session_ttl_s: int = Field(3600, ge=1)
    pages_ahead: int = Field(2, ge=0)
    """A scroll page that has to be computed computes this many following pages too, written in
    the same compare-and-set: the next ones are then read from memory (no pick, no write)."""
    refill_pages: int = Field(16, ge=1)
    """After a scroll page with at most `pages_ahead` pages stored after it, a refill off the
    request path stores up to this many pages past it, and at least 2 x `pages_ahead` (fewer
    where the pool ends: 16 covers a default pool of 300 in pages of 20), so a reader who
    scrolls on finds every page held. No refills when `pages_ahead` is 0."""
    open_in_memory: bool = True
    """A known user's new session opens from the pool held for their feed, with no history read
    and its store write behind the answer, while they have had no events since it was ranked
    (`serving/user_changes.py`): an event another process stores counts from the next poll.
    False: every new session reads the history and is stored before its answer."""
    user_changes_poll_s: float = Field(1.0, gt=0.0, le=60.0)
    """How often each process reads the events stored since its last look (`open_in_memory`)."""
    user_changes_max_age_s: float = Field(5.0, gt=0.0)
    """Held pools open no session while the last successful poll is older than this."""
    warm_pools: int = Field(2048, ge=0)
    """After each feed state is built, a background thread ranks and holds the pools of this
    many users' feeds (the feeds held before, then the users with the latest events, then the
    newest users), so their next new session opens in memory (`serving/pool_warmer.py`); 0:
    none."""
    max_per_creator: int = Field(10, ge=1)
    max_per_category: int = Field(16, ge=1)
    mmr_lambda: float = Field(1.0, ge=0.0, le=1.0)
    exploration_slots: int = Field(1, ge=0)
    exploration_after: int = Field(7, ge=0)
    """A page's explored posts follow its first `exploration_after` posts (within the top 10)."""
    explore_max_views: int = Field(50, ge=0)
    cold_start_min_events: int = Field(3, ge=0)
    history_limit: int = Field(1000, ge=1)
    exclude_kinds: list[str] = ["view", "like", "inspire", "rating"]
    trend_half_life_s: int = Field(259_200, ge=1)
    refresh_s: float = Field(30.0, ge=0.0)
    covisit_history: int = Field(20, ge=1)
    covisit_neighbors: int = Field(50, ge=1)
    source_limits: dict[str, int] = {}
    source_weights: dict[str, float] = {}
    use_learned_weights: bool = True
    """Rank with the weights learned on validation at train time (stored in the artifact)."""
    source_weight_overrides: dict[str, float] = {}
    """Weights that win over learned ones (e.g. `{mood = 3.0}`)."""
    cold_weights: dict[str, float] = {}
    """Weights of the cold path (no model): mood, then the few events' lists, then popularity."""

    @field_validator("exclude_kinds")
    @classmethod
    def _known_kinds(cls, kinds: list[str]) -> list[str]:
        unknown = sorted(set(kinds) - set(KIND_CODES))
        if unknown:
            raise ValueError(f"unknown kinds {unknown}; known: {sorted(KIND_CODES)}")
        return kinds

    @field_validator("source_limits", "source_weights", "source_weight_overrides", "cold_weights")
    @classmethod
    def _known_names(cls, table: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(table) - BLEND_NAMES)
        if unknown:
            raise ValueError(f"unknown names {unknown}; known: {sorted(BLEND_NAMES)}")
        return table

    def limit(self, source: str) -> int:
        """Candidates asked of a source (200 when not configured)."""
        return self.source_limits.get(source, 200)

    def weight(self, source: str) -> float:
        """Blend weight of a source in model-free ranking (0.5 when not configured)."""
        return self.source_weights.get(source, 0.5)

    def weights_for(self, learned: Mapping[str, float], *, cold: bool) -> dict[str, float]:
        """The weights a request ranks with (a source missing from them weighs 0.5).

        Learned weights hold the warm path's by source name and the cold path's as
        `cold.<source>`. Cold: `cold_weights` over `source_weights`, replaced by the learned cold
        ones (when `use_learned_weights`). Otherwise `source_weights`, replaced by the learned
        ones, then `source_weight_overrides`.
        """
        use = self.use_learned_weights
        cold_learned = {k.removeprefix(COLD): v for k, v in learned.items() if k.startswith(COLD)}
        if cold:
            chosen = cold_learned if use and cold_learned else {}
            return {**self.source_weights, **self.cold_weights, **chosen}
        warm = {k: v for k, v in learned.items() if not k.startswith(COLD)}
        chosen = warm if use and warm else {}
        return {**self.source_weights, **chosen, **self.source_weight_overrides}


def load_feed_config(path: Path | None = None) -> FeedConfig:
    """The config at `path`, else the shipped `configs/serve/default.toml` (the working
    directory's, else the checkout's: `kit.shipped`), else the built-in defaults.

    Raises:
        ConfigurationError: `path` is missing or unreadable, not TOML, or has invalid fields.
    """
    path = path or shipped(DEFAULT_CONFIG)
    if path is None:
        return FeedConfig()
    try:
        return FeedConfig.model_validate(tomllib.loads(path.read_text()))
    except (OSError, tomllib.TOMLDecodeError, ValidationError) as exc:
        raise ConfigurationError(f"bad feed config {path}: {exc}") from exc
