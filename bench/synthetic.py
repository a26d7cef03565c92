"""A synthetic catalogue for the serving benchmarks (`feed.py`, `soak.py`).

Few distinct texts, so the one-off text encoding stays cheap at any catalogue size; zipf-skewed
events, so popularity and co-visitation have something to find.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import insert

from videorec.kit.db import make_engine
from videorec.storage import migrate
from videorec.storage.tables import Category, Interaction, Post, User

MOODS = [["calm", "peaceful"], ["motivational", "energetic"], ["funny", "playful"],
         ["sad", "emotional"], ["romantic"], ["curious", "thoughtful"]]  # fmt: skip
TITLES = ["sunset by the lake", "gym workout", "cat prank", "rainy goodbye", "first date",
          "how volcanoes work", "street food tour", "guitar cover"]  # fmt: skip
CHUNK = 50_000


def populate(
    url: str,
    n_posts: int,
    n_users: int,
    events: int,
    *,
    creators: int = 5000,
    seed: int = 1,
    distinct_texts: bool = False,
) -> None:
    """Migrate the database at `url` and write categories, posts, users and their events.

    Titles repeat (600 distinct title and mood texts at any size) unless `distinct_texts`: then
    each post's title is its own (8 base titles and the post's number: distinct, though
    near-duplicates), and all of them are encoded (once: the
    text cache keeps them; 100k short titles and the model's training took 251 s on 2 cores).
    """
    rng = np.random.default_rng(seed)
    engine = make_engine(url)
    migrate.upgrade(engine)
    base = datetime(2025, 1, 1)
    with engine.begin() as conn:
        conn.execute(insert(Category), [
            {"id": c, "name": f"cat{c}", "count": 0, "description": "", "image_url": ""}
            for c in range(1, 11)
        ])  # fmt: skip
        for start in range(0, n_posts, CHUNK):
            conn.execute(insert(Post), [{
                "id": i, "category_id": int(rng.integers(1, 11)),
                "title": f"{TITLES[i % len(TITLES)]} #{i if distinct_texts else i % 50}",
                "owner_username": f"creator{int(rng.integers(creators))}",
                "created_at": base + timedelta(minutes=int(rng.integers(500_000))),
                "mood_terms": MOODS[i % len(MOODS)], "view_count": int(rng.integers(1000)),
                "slug": f"p{i}", "identifier": f"i{i}",
            } for i in range(start + 1, min(start + CHUNK, n_posts) + 1)])  # fmt: skip
        conn.execute(insert(User), [{"id": u, "username": f"u{u}"} for u in range(1, n_users + 1)])
        n = n_users * events
        users = np.repeat(np.arange(1, n_users + 1), events)
        posts = (rng.zipf(1.3, n) % n_posts) + 1
        kinds = np.asarray(["view", "like", "inspire"])[rng.integers(0, 3, n)]
        minutes = rng.integers(0, 500_000, n)
        conn.execute(insert(Interaction), [{
            "kind": str(k), "upstream_id": i, "user_id": int(u), "post_id": int(p),
            "occurred_at": base + timedelta(minutes=int(m)),
        } for i, (u, p, k, m) in enumerate(zip(users, posts, kinds, minutes, strict=True))
        ])  # fmt: skip
    engine.dispose()
