"""Build the per-request `FeedContext`: who the user is, their history, exclusions and filters."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

from videorec.features.log import KIND_CODES, InteractionLog
from videorec.serving.candidates.base import FeedContext
from videorec.serving.config import FeedConfig
from videorec.serving.index import Matrix
from videorec.serving.registry import PipelineRegistry, PipelineState
from videorec.storage.repositories import feed

USER_ID_CACHE = 1_000_000
"""At most this many usernames are remembered per feed state (~100 MB at the limit)."""


@dataclass(frozen=True)
class FeedRequest:
    """A validated `/feed` request."""

    username: str
    category_id: int | None = None
    project_code: str | None = None
    mood: str | None = None
    page_size: int = 20
    cursor: str | None = None
    page: int | None = None

    @property
    def key(self) -> str:
        """What identifies "the same feed" for `page=K` requests."""
        return (
            f"{self.username}|c={self.category_id}|p={self.project_code}"
            f"|m={self.mood}|n={self.page_size}"
        )


def build_context(
    db: Session,
    registry: PipelineRegistry,
    state: PipelineState,
    request: FeedRequest,
    config: FeedConfig,
) -> tuple[FeedContext, bool]:
    """The context of one request, and whether it is a cold start.

    The user's history is read now, so events ingested since the previous request count.
    """
    user_id, history = _user_and_history(db, state, request.username, config.history_limit)
    allowed = None
    if request.project_code is not None:
        ids = np.asarray(feed.project_post_ids(db, request.project_code), dtype=np.int64)
        allowed = np.unique(state.index.rows_of(ids))
    mood = normalized_mood(request.mood)
    ctx = make_context(
        state, config, user_id, history, category_id=request.category_id,
        allowed_rows=allowed, mood=mood, mood_vector=registry.mood_vector(mood) if mood else None,
    )  # fmt: skip
    return ctx, ctx.cold


def normalized_mood(mood: str | None) -> str | None:
    """A request's mood as contexts and held pools key it: trimmed, lower case (None: none)."""
    return mood.strip().lower() if mood else None


def make_context(
    state: PipelineState,
    config: FeedConfig,
    user_id: int | None,
    history: InteractionLog,
    *,
    category_id: int | None = None,
    allowed_rows: np.ndarray | None = None,
    mood: str | None = None,
    mood_vector: Matrix | None = None,
) -> FeedContext:
    """The context of a user with a known history (no database; the evaluation's entry too).

    A user who is unknown or has fewer than `cold_start_min_events` events takes the cold path
    (`FeedContext.cold`): mood when given, then neighbours and content of the few events, then
    time-decayed popularity, ranked with `cold_weights` and without the ranker (the two-tower
    retrieves only for few events its short-history tower serves).
    """
    rows = state.index.rows_of(history.post_ids)
    return FeedContext(
        index=state.index,
        stats=state.stats,
        user_id=user_id,
        history=history,
        history_rows=rows[rows >= 0],
        excluded_rows=_excluded(history, rows, config),
        category_id=category_id,
        allowed_rows=allowed_rows,
        mood=mood,
        mood_vector=mood_vector,
        model=state.model,
        cold=user_id is None or len(history) < config.cold_start_min_events,
        neighbours=state.neighbours,
        weights=state.weights,
    )


def _user_and_history(
    db: Session, state: PipelineState, username: str, limit: int
) -> tuple[int | None, InteractionLog]:
    """The user's id and recent events: one query; the id is remembered for the state's
    lifetime once found (unknown users are not)."""
    user_id = state.user_ids.get(username)
    if user_id is not None:
        return user_id, feed.user_history(db, user_id, limit)
    user_id, history = feed.user_and_history(db, username, limit)
    if user_id is not None and len(state.user_ids) < USER_ID_CACHE:
        state.user_ids[username] = user_id
    return user_id, history


def _excluded(history: InteractionLog, rows: np.ndarray, config: FeedConfig) -> np.ndarray:
    codes = [KIND_CODES[kind] for kind in config.exclude_kinds if kind in KIND_CODES]
    mask = np.isin(history.kinds, codes) & (rows >= 0)
    return np.unique(rows[mask]).astype(np.int64)
