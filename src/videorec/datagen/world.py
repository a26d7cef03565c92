"""Sampling the hidden world: user tastes, creators, post topics, moods, popularity and time."""

from __future__ import annotations

import numpy as np

from videorec.datagen.activity import DAY, plan_windows
from videorec.datagen.config import GeneratorConfig
from videorec.datagen.truth import IntArray, Truth, TruthParams
from videorec.datagen.vocabulary import MOODS, TOPICS

CREATOR_TOPIC_LOYALTY = 0.6
"""Share of a creator's posts on their own favourite topic (the rest: any topic)."""


def sparse_ids(n: int, first: int, rng: np.random.Generator) -> IntArray:
    """Ascending ids with occasional gaps, like upstream ids (deleted rows leave holes)."""
    steps = 1 + (rng.random(n) < 0.08) * rng.integers(1, 4, size=n)
    ids: IntArray = (first - steps[0] + np.cumsum(steps)).astype(np.int64)
    return ids


def sample_truth(config: GeneratorConfig, views: IntArray, rng: np.random.Generator) -> Truth:
    """Draw the world of one data set; `views` (per user) shapes the activity windows."""
    n_users, n_posts = config.users, config.posts
    n_topics, n_moods = len(TOPICS), len(MOODS)
    start, end = int(config.start.timestamp()), int(config.end.timestamp())
    topic_taste = rng.dirichlet(np.full(n_topics, config.topic_concentration), size=n_users)
    mood_taste = rng.dirichlet(np.full(n_moods, config.mood_concentration), size=n_users)
    creators = _post_creators(config, rng)
    topics = np.where(
        rng.random(n_posts) < CREATOR_TOPIC_LOYALTY,
        topic_taste[creators].argmax(axis=1),
        rng.integers(0, n_topics, size=n_posts),
    )
    moods = np.where(
        rng.random(n_posts) < 0.5,
        mood_taste[creators].argmax(axis=1),
        rng.integers(0, n_moods, size=n_posts),
    )
    ranks = rng.permutation(n_posts) + 1
    active_from, active_to = plan_windows(views, start, end, rng)
    return Truth(
        user_ids=sparse_ids(n_users, 1, rng),
        topic_taste=topic_taste,
        mood_taste=mood_taste,
        active_from=active_from,
        active_to=active_to,
        post_ids=sparse_ids(n_posts, 12, rng),
        post_topics=topics.astype(np.int64),
        post_moods=moods.astype(np.int64),
        popularity=ranks.astype(np.float64) ** -config.popularity_zipf,
        post_created_at=_created_at(n_posts, config.back_catalogue_share, start, end, rng),
        post_creators=creators,
        params=_params(config),
    )


def _post_creators(config: GeneratorConfig, rng: np.random.Generator) -> IntArray:
    n_creators = max(3, round(config.users * config.creator_share))
    creators = np.sort(rng.choice(config.users, size=n_creators, replace=False))
    weights = 1.0 / np.arange(1, n_creators + 1)
    return creators[rng.choice(n_creators, size=config.posts, p=weights / weights.sum())]


def _created_at(
    n_posts: int, back_share: float, start: int, end: int, rng: np.random.Generator
) -> IntArray:
    """Back-catalogue posts fall in the year before `start`; the rest arrive during the logs."""
    back = rng.random(n_posts) < back_share
    early = start - (rng.random(n_posts) * 365 * DAY).astype(np.int64)
    late = start + (rng.random(n_posts) * (end - start)).astype(np.int64)
    return np.where(back, early, late).astype(np.int64)


def _params(config: GeneratorConfig) -> TruthParams:
    return TruthParams(
        popularity_weight=config.popularity_weight,
        taste_strength=config.taste_strength,
        topic_weight=config.topic_weight,
        like_strength=config.like_strength,
        inspire_strength=config.inspire_strength,
        rating_noise=config.rating_noise,
        topic_names=tuple(t.name for t in TOPICS),
        mood_names=tuple(m.name for m in MOODS),
    )
