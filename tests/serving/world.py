"""A small seeded world of posts with moods, users and events, for the feed's tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy.orm import Session

from tests.factories import create_category, create_post
from videorec.features.log import InteractionLog, PostCatalog
from videorec.storage.tables import Interaction, User

MOODS = {
    "calm": (["calm", "peaceful", "relaxing"], "quiet sunset by the lake, slow waves"),
    "motivational": (["motivational", "inspiring", "energetic"], "gym workout, never give up"),
    "funny": (["funny", "humorous", "playful"], "cat falls off the sofa, prank on a friend"),
    "sad": (["sad", "melancholic", "emotional"], "rainy goodbye at the station, lonely"),
}
FAMILIES = list(MOODS)
CATEGORIES = {2: "Vible", 3: "Gaming", 4: "Mood"}
BASE = datetime(2025, 3, 1)


def post_rows(n: int, seed: int) -> list[dict[str, object]]:
    """n posts: a mood family each, one of 3 categories, 8 creators, spread over 60 days."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        family = FAMILIES[int(rng.integers(len(FAMILIES)))]
        terms, text = MOODS[family]
        rows.append({
            "id": 1000 + i,
            "family": family,
            "category": int(rng.choice(list(CATEGORIES))),
            "creator": f"creator{int(rng.integers(8))}",
            "title": f"{text} #{i % 7}",
            "mood_terms": list(terms[: 1 + int(rng.integers(3))]),
            "created_at": BASE + timedelta(hours=int(rng.integers(60 * 24))),
            "views": int(rng.integers(0, 500)),
            "public": bool(rng.random() > 0.05),
        })  # fmt: skip
    return rows


def catalog(rows: list[dict[str, object]]) -> PostCatalog:
    """The rows as a PostCatalog, texts like `post_text` builds them (title | moods)."""
    return PostCatalog(
        post_ids=np.asarray([r["id"] for r in rows], dtype=np.int64),
        category_ids=np.asarray([r["category"] for r in rows], dtype=np.int64),
        creators=[str(r["creator"]) for r in rows],
        created_at=np.asarray([int(r["created_at"].timestamp()) for r in rows], np.int64),
        texts=[" | ".join([str(r["title"]), *r["mood_terms"]]) for r in rows],
        mood_terms=[list(r["mood_terms"]) for r in rows],
        counters={"view_count": np.asarray([r["views"] for r in rows], np.float32)},
        public=np.asarray([r["public"] for r in rows], dtype=bool),
    )


def events(rows: list[dict[str, object]], n_users: int, per_user: int, seed: int) -> InteractionLog:
    """Each user favours one mood family: 80% of their events are posts of it."""
    rng = np.random.default_rng(seed)
    by_family = {f: [r["id"] for r in rows if r["family"] == f] for f in FAMILIES}
    users, posts, kinds, times = [], [], [], []
    for user in range(n_users):
        favourite = FAMILIES[user % len(FAMILIES)]
        for _ in range(per_user):
            family = favourite if rng.random() < 0.8 else FAMILIES[int(rng.integers(4))]
            users.append(50_000 + user)
            posts.append(int(rng.choice(by_family[family])))
            kinds.append(int(rng.integers(0, 3)))
            times.append(
                int((BASE + timedelta(days=61, minutes=int(rng.integers(10_000)))).timestamp())
            )
    return InteractionLog(
        np.asarray(users, np.int64), np.asarray(posts, np.int64), np.asarray(kinds, np.int8),
        np.full(len(users), np.nan, np.float32), np.asarray(times, np.int64),
    )  # fmt: skip


def populate(session: Session, n_posts: int = 120, n_users: int = 8, seed: int = 7) -> None:
    """Store the world in the database: categories, posts, users `fan0..`, their events."""
    rows = post_rows(n_posts, seed)
    cats = {cid: create_category(session, id=cid, name=name) for cid, name in CATEGORIES.items()}
    for r in rows:
        post = create_post(
            session, id=int(r["id"]), category=cats[int(r["category"])], title=str(r["title"]),
            created_at=r["created_at"], mood_terms=list(r["mood_terms"]),
            view_count=int(r["views"]), is_available_in_public_feed=bool(r["public"]),
        )  # fmt: skip
        post.owner_username = str(r["creator"])
    log = events(rows, n_users, 12, seed)
    kinds = ["view", "like", "inspire", "rating"]
    session.add_all([User(id=50_000 + u, username=f"fan{u}") for u in range(n_users)])
    session.add_all([
        Interaction(kind=kinds[int(k)], upstream_id=900_000 + i, user_id=int(u), post_id=int(p),
                    occurred_at=datetime.fromtimestamp(int(t), UTC).replace(tzinfo=None))
        for i, (u, p, k, t) in enumerate(
            zip(log.user_ids, log.post_ids, log.kinds, log.timestamps, strict=True))
    ])  # fmt: skip
    session.flush()
