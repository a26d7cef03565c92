"""Seeded synthetic logs with a planted taste structure, for tests and benchmarks.

Each post has a topic (its category, its mood words and its text name the topic); each user
prefers one topic. Users mostly engage with posts of their topic, sometimes with popular posts
of any topic; likes, inspires and high ratings go mostly to posts of the user's topic.
"""

from __future__ import annotations

import numpy as np

from videorec.features.log import InteractionLog, PostCatalog
from videorec.features.pipeline import COUNTERS

TOPICS = ("calm ocean", "gym workout", "street food", "comedy sketch", "travel vlog",
          "crypto news", "dance music", "pet cats")  # fmt: skip
MOODS = ("calm", "energetic", "hungry", "funny", "adventurous", "curious", "joyful", "cute")
START = 1_735_689_600  # 2025-01-01


def synthetic_data(
    *, users: int = 200, posts: int = 300, interactions: int = 5_000, seed: int = 0,
    taste: float = 0.8, days: int = 60,
) -> tuple[InteractionLog, PostCatalog]:  # fmt: skip
    """A log and catalogue where a user's topic predicts what they engage with."""
    rng = np.random.default_rng(seed)
    n_topics = len(TOPICS)
    post_topic = rng.integers(0, n_topics, posts)
    user_topic = rng.integers(0, n_topics, users)
    popularity = rng.zipf(1.6, posts).astype(np.float64).clip(max=200)
    user = rng.integers(0, users, interactions)
    on_taste = rng.random(interactions) < taste
    post = np.empty(interactions, dtype=np.int64)
    for t in range(n_topics):
        pool = np.flatnonzero(post_topic == t)
        chosen = on_taste & (user_topic[user] == t)
        prob = popularity[pool] / popularity[pool].sum()
        post[chosen] = rng.choice(pool, chosen.sum(), p=prob)
    rest = ~on_taste
    post[rest] = rng.choice(posts, rest.sum(), p=popularity / popularity.sum())
    match = post_topic[post] == user_topic[user]
    kinds = np.where(match & (rng.random(interactions) < 0.4), rng.integers(1, 4, interactions), 0)
    ratings = np.where(kinds == 3, np.where(match, rng.uniform(60, 100, interactions),
                                            rng.uniform(0, 50, interactions)), np.nan)  # fmt: skip
    times = START + np.sort(rng.integers(0, days * 86_400, interactions))
    log = InteractionLog(
        user_ids=user.astype(np.int64) + 1, post_ids=post + 1_000,
        kinds=kinds.astype(np.int8), ratings=ratings.astype(np.float32), timestamps=times,
    )  # fmt: skip
    return log, _catalog(post_topic, popularity, rng)


def _catalog(topic: np.ndarray, popularity: np.ndarray, rng: np.random.Generator) -> PostCatalog:
    n = topic.shape[0]
    return PostCatalog(
        post_ids=np.arange(n, dtype=np.int64) + 1_000,
        category_ids=topic.astype(np.int64) + 1,
        creators=[f"creator{rng.integers(0, 40)}" for _ in range(n)],
        created_at=np.asarray(START - rng.integers(0, 90 * 86_400, n), dtype=np.int64),
        texts=[f"{TOPICS[t]} video number {i}" for i, t in enumerate(topic)],
        mood_terms=[[MOODS[t]] for t in topic],
        counters={
            name: (popularity * rng.uniform(1, 10, n)).astype(np.float32) for name in COUNTERS
        },  # fmt: skip
        public=np.ones(n, dtype=bool),
    )
