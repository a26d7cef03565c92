"""MovieLens-100k into videorec's tables, for evaluation.

- users: the 943 raters (`ml<id>` usernames; age, gender, occupation and zip kept in `raw`);
- categories: the 19 genres of `u.genre`, as ids `CATEGORY_ID_BASE + genre index`;
- posts: the 1,682 movies, in the category of their first genre, all genres as tags;
- interactions: every rating becomes a view and a rating of stars × 20; 4 and 5 stars are also
  a like. The n-th line of `u.data` gives all three the upstream id n, so a re-import adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import structlog
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from videorec.datagen.movielens import UNKNOWN_TIME, MovieLens
from videorec.storage.repositories import bulk
from videorec.storage.repositories.bulk import Row
from videorec.storage.tables import Category, Interaction, InteractionKind, Post, User

log = structlog.get_logger(__name__)

CATEGORY_ID_BASE = 100
"""Genre i becomes category 100 + i, clear of the Socialverse catalogue's ids (2-28)."""
LIKE_MIN_STARS = 4

DEFAULT_PATH = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "movielens-100k"
"""`<repo>/../shared/data/movielens-100k`, where the checkout's sibling `shared/` keeps it."""


@dataclass(frozen=True)
class ImportCounts:
    """Rows inserted by one import, per table or kind."""

    users: int
    categories: int
    posts: int
    views: int
    likes: int
    ratings: int


def import_movielens(session: Session, data: MovieLens) -> ImportCounts:
    """Insert what is not stored yet; the caller commits."""
    counts = ImportCounts(
        users=_by_id(session, User, _users(data)),
        categories=_by_id(session, Category, _categories(data)),
        posts=_by_id(session, Post, _posts(data)),
        views=_events(session, _interactions(data, "view")),
        likes=_events(session, _interactions(data, "like")),
        ratings=_events(session, _interactions(data, "rating")),
    )
    log.info("movielens_imported", **vars(counts))
    return counts


def _by_id(session: Session, table: type[User | Category | Post], rows: list[Row]) -> int:
    before = _count(session, table)
    bulk.insert_new(session, table.__table__, rows, keys=["id"])  # type: ignore[arg-type]
    return _count(session, table) - before


def _events(session: Session, rows: list[Row]) -> int:
    before = _count(session, Interaction)
    keys = ["kind", "upstream_id"]
    bulk.insert_new(session, Interaction.__table__, rows, keys=keys)  # type: ignore[arg-type]
    return _count(session, Interaction) - before


def _count(session: Session, table: type[User | Category | Post | Interaction]) -> int:
    return session.scalar(select(func.count()).select_from(table)) or 0


def _users(data: MovieLens) -> list[dict[str, Any]]:
    users = data.users
    return [
        {"id": uid, "username": f"ml{uid}", "role": "U",
         "raw": {"age": age, "gender": gender, "occupation": job, "zip_code": zip_code}}
        for uid, age, gender, job, zip_code in zip(
            users.ids.tolist(), users.ages.tolist(), users.genders, users.occupations,
            users.zip_codes, strict=True,
        )
    ]  # fmt: skip


def _categories(data: MovieLens) -> list[dict[str, Any]]:
    per_genre = data.items.genres.sum(axis=0).tolist()
    return [
        {"id": CATEGORY_ID_BASE + i, "name": name, "count": int(per_genre[i]),
         "description": f"MovieLens genre: {name}"}
        for i, name in enumerate(data.genre_names)
    ]  # fmt: skip


def _posts(data: MovieLens) -> list[dict[str, Any]]:
    items = data.items
    first_genre = items.genres.argmax(axis=1).tolist()
    released = items.released.astype("datetime64[s]").tolist()
    rows = []
    for i, item_id in enumerate(items.ids.tolist()):
        genres = [data.genre_names[g] for g in np.flatnonzero(items.genres[i]).tolist()]
        rows.append({
            "id": item_id, "category_id": CATEGORY_ID_BASE + first_genre[i],
            "title": items.titles[i], "slug": f"movielens-{item_id}",
            "created_at": None if items.released[i] == UNKNOWN_TIME else released[i],
            "tags": genres, "mood_terms": [],
            "post_summary": {"genre": ", ".join(genres),
                             "keywords": [{"keyword": g, "weight": 10} for g in genres]},
            "raw": {"source": "movielens-100k", "imdb_url": items.imdb_urls[i]},
        })  # fmt: skip
    return rows


def _interactions(data: MovieLens, kind: str) -> list[dict[str, Any]]:
    ratings = data.ratings
    upstream = np.arange(1, len(ratings.stars) + 1)
    keep = ratings.stars >= LIKE_MIN_STARS if kind == InteractionKind.LIKE else slice(None)
    values = (ratings.stars[keep] * 20).tolist() if kind == InteractionKind.RATING else None
    times = ratings.timestamps[keep].astype("datetime64[s]").tolist()
    columns = zip(
        upstream[keep].tolist(), ratings.user_ids[keep].tolist(), ratings.item_ids[keep].tolist(),
        times, strict=True,
    )  # fmt: skip
    return [
        {"kind": kind, "upstream_id": up, "user_id": user, "post_id": post,
         "rating": None if values is None else values[n], "occurred_at": when}
        for n, (up, user, post, when) in enumerate(columns)
    ]  # fmt: skip
