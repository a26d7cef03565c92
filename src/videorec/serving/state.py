"""The feed's state built from arrays, without a database: what the served evaluation and
train-time weight learning run the real serving code on.

`PipelineRegistry.build` reads the same pieces from the database; this builder takes them as
arguments: a catalogue, the interaction log the feed may know (the training part), the text
encoder, optionally a model and the artifact's side files.
"""

from __future__ import annotations

import numpy as np

from videorec.features.log import InteractionLog, PostCatalog
from videorec.serving.candidates.base import CandidateSource, FeedContext
from videorec.serving.config import FeedConfig
from videorec.serving.context import make_context
from videorec.serving.extras import ServingExtras
from videorec.serving.index import Encoder, Matrix, build_index
from videorec.serving.popularity import build_stats
from videorec.serving.ranking import Pool, gather
from videorec.serving.registry import PipelineState, Watermark
from videorec.serving.scorer import FeedModel


def build_state(
    catalog: PostCatalog,
    log: InteractionLog,
    encoder: Encoder,
    config: FeedConfig,
    *,
    model: FeedModel | None = None,
    extras: ServingExtras | None = None,
) -> PipelineState:
    """Index, popularity and co-visitation of `log`, the model, and the neighbour lists."""
    index = build_index(catalog, encoder)
    stats = build_stats(
        index, log, half_life_s=config.trend_half_life_s, history=config.covisit_history,
        neighbours=config.covisit_neighbors,
    )  # fmt: skip
    return PipelineState(
        index, stats, model, getattr(model, "version", None) if model else None,
        watermark=Watermark(len(log), len(catalog), None, None),
        neighbours=extras.on(index) if extras is not None else {},
        weights=dict(extras.weights) if extras is not None else {},
    )  # fmt: skip


def request_pool(
    state: PipelineState,
    config: FeedConfig,
    sources: list[CandidateSource],
    user_id: int | None,
    history: InteractionLog,
    *,
    mood: str | None = None,
    mood_vector: Matrix | None = None,
) -> tuple[FeedContext, Pool]:
    """What `/feed` computes for a request before weighting: the context and the candidate pool.

    `history` is the user's events, oldest first; only the last `history_limit` are read, as
    `/feed` reads them.
    """
    if len(history) > config.history_limit:
        history = history.select(np.arange(len(history) - config.history_limit, len(history)))
    ctx = make_context(state, config, user_id, history, mood=mood, mood_vector=mood_vector)
    lists = [source.fetch(ctx, config.limit(source.name)) for source in sources]
    return ctx, gather(ctx, lists)
