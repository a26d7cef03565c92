"""Data sets for offline evaluation (`InteractionLog` + `PostCatalog`) and what counts as positive.

- `movielens-100k`: `u.data` (user, item, rating 1-5, time) from `<repo>/../shared/data/` or
  `--data`; every rating is a positive (RecBole's default for its MovieLens tables). Evaluation
  only: its licence forbids shipping it, so it is read in place and never copied.
- `samples`: the real Socialverse engagement logs (`global-logs-2024-12/`) plus `posts-2025-06/`.
- `demo`: a directory written by `videorec generate`
  (`{users,posts,view,like,inspire,rating}.json`).

Socialverse-shaped logs: views, likes and inspires are positives; a rating is a positive when its
`rating_percent` is at least `MIN_POSITIVE_RATING` (50), the upper half of the slider.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from videorec.datagen.movielens import read_ratings
from videorec.errors import InvalidInput
from videorec.features.log import KIND_CODES, InteractionLog, PostCatalog
from videorec.ingestion.moods import mood_terms
from videorec.storage.repositories.logs import summary_text

MIN_POSITIVE_RATING = 50.0
"""Socialverse ratings (0-100) at or above this count as positive feedback."""

REPO_ROOT = Path(__file__).resolve().parents[3]
SHARED = REPO_ROOT.parent / "shared"
DATASETS = ("demo", "samples", "movielens-100k")

_EVENT_FILES: dict[str, tuple[str, str]] = {
    "view": ("viewed_at", "view"),
    "like": ("liked_at", "like"),
    "inspire": ("inspired_at", "inspire"),
    "rating": ("rated_at", "rating"),
}


def load_dataset(name: str, data_dir: Path | None = None) -> tuple[InteractionLog, PostCatalog]:
    """The raw log and catalogue of a named data set.

    Raises:
        InvalidInput: unknown name, or its files are missing.
    """
    if name == "movielens-100k":
        return load_movielens(data_dir or SHARED / "data" / "movielens-100k")
    if name == "samples":
        base = data_dir or SHARED / "socialverse" / "samples"
        return load_socialverse(base / "global-logs-2024-12", base / "posts-2025-06" / "posts.json")
    if name == "demo":
        if data_dir is None:
            raise InvalidInput(
                "the demo data set needs --data DIR (the output of videorec generate)"
            )
        return load_socialverse(data_dir, data_dir / "posts.json")
    raise InvalidInput(f"unknown data set {name!r}; choose one of {', '.join(DATASETS)}")


def load_movielens(directory: Path) -> tuple[InteractionLog, PostCatalog]:
    """MovieLens-100k's `u.data`: tab-separated user, item, rating (1-5), epoch seconds."""
    path = directory / "u.data"
    if not path.exists():
        raise InvalidInput(f"{path} not found: place MovieLens-100k there or pass --data DIR")
    ratings = read_ratings(path)
    log = InteractionLog(
        user_ids=ratings.user_ids,
        post_ids=ratings.item_ids,
        kinds=np.full(len(ratings.stars), KIND_CODES["rating"], np.int8),
        ratings=(ratings.stars * 20).astype(np.float32),
        timestamps=ratings.timestamps,
    )
    return log, bare_catalog(np.unique(log.post_ids))


def load_socialverse(log_dir: Path, posts_path: Path) -> tuple[InteractionLog, PostCatalog]:
    """The four engagement files of a Socialverse dump (missing files are skipped) and its posts."""
    parts = [
        _read_events(log_dir / f"{stem}.json", time_key, kind)
        for stem, (time_key, kind) in _EVENT_FILES.items()
    ]
    present = [p for p in parts if p is not None]
    if not present:
        raise InvalidInput(f"no engagement files (view/like/inspire/rating.json) in {log_dir}")
    log = InteractionLog(*(np.concatenate([getattr(p, f) for p in present]) for f in _FIELDS))
    posts = (
        {int(p["id"]): p for p in _read_json(posts_path) if "id" in p}
        if posts_path.exists()
        else {}
    )
    post_ids = np.union1d(np.unique(log.post_ids), np.asarray(sorted(posts), np.int64))
    return log.sorted_by_time(), posts_catalog(post_ids, posts)


COUNTERS = ("view_count", "upvote_count", "comment_count", "share_count", "rating_count")


def posts_catalog(
    post_ids: np.ndarray[Any, np.dtype[np.int64]], posts: dict[int, Any]
) -> PostCatalog:
    """The catalogue the posts file describes, as ingestion stores it: category, creator, time,
    text (title and analysis), mood terms (from `post_summary`), upstream counters.

    Posts the logs mention but the file lacks keep the bare defaults. The counters are upstream
    totals: evaluation replaces them with counts as of the cut (`features/counters.py`).
    """
    rows = [posts.get(int(i), {}) for i in post_ids]
    base = bare_catalog(post_ids)
    summaries = [r.get("post_summary") if isinstance(r.get("post_summary"), dict) else None
                 for r in rows]  # fmt: skip
    moods = [mood_terms(s) for s in summaries]
    category = [(r.get("category") or {}).get("id", -1) for r in rows]
    created = [_epoch(r.get("created_at")) if r.get("created_at") else -1 for r in rows]
    return PostCatalog(
        post_ids=base.post_ids,
        category_ids=np.asarray([int(c) for c in category], np.int64),
        creators=[str(r.get("username") or "") for r in rows],
        created_at=np.asarray(created, np.int64),
        texts=[
            summary_text(str(r.get("title") or ""), s, m)
            for r, s, m in zip(rows, summaries, moods, strict=True)
        ],
        mood_terms=moods,
        counters={
            c: np.asarray([float(r.get(c) or 0) for r in rows], np.float32) for c in COUNTERS
        },
        public=np.asarray([bool(r.get("is_available_in_public_feed", True)) for r in rows]),
    )


_FIELDS = ("user_ids", "post_ids", "kinds", "ratings", "timestamps")


def min_positive_rating(dataset: str) -> float:
    """The rating threshold of a data set: none for MovieLens (every rating counts)."""
    return 0.0 if dataset == "movielens-100k" else MIN_POSITIVE_RATING


def implicit_positives(
    log: InteractionLog, min_rating: float = MIN_POSITIVE_RATING
) -> InteractionLog:
    """The positive events: every view, like and inspire; ratings at or above `min_rating`."""
    is_rating = log.kinds == KIND_CODES["rating"]
    keep = ~is_rating | (np.nan_to_num(log.ratings, nan=0.0) >= min_rating)
    return log.select(keep)


def bare_catalog(post_ids: np.ndarray[Any, np.dtype[np.int64]]) -> PostCatalog:
    """A catalogue with only post ids: all that the evaluated models need."""
    m = int(post_ids.shape[0])
    return PostCatalog(
        post_ids=post_ids.astype(np.int64),
        category_ids=np.full(m, -1, np.int64),
        creators=[""] * m,
        created_at=np.full(m, -1, np.int64),
        texts=[""] * m,
        mood_terms=[[] for _ in range(m)],
    )


def _read_json(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path} is not JSON: {exc}") from exc
    if isinstance(data, dict):  # an envelope such as {"post": [...]} or {"users": [...]}
        data = next((v for v in data.values() if isinstance(v, list)), [])
    return [d for d in data if isinstance(d, dict)]


def _read_events(path: Path, time_key: str, kind: str) -> InteractionLog | None:
    if not path.exists():
        return None
    rows = [r for r in _read_json(path) if "user_id" in r and "post_id" in r]
    n = len(rows)
    ratings = [float(r.get("rating_percent", np.nan)) for r in rows]
    return InteractionLog(
        user_ids=np.asarray([int(r["user_id"]) for r in rows], np.int64).reshape(n),
        post_ids=np.asarray([int(r["post_id"]) for r in rows], np.int64).reshape(n),
        kinds=np.full(n, KIND_CODES[kind], np.int8),
        ratings=np.asarray(ratings, np.float32).reshape(n),
        timestamps=np.asarray([_epoch(r.get(time_key)) for r in rows], np.int64).reshape(n),
    )


def _epoch(value: Any) -> int:
    """Epoch seconds from '2024-01-10 07:20:55' (UTC), ISO 8601, or epoch (milli)seconds."""
    if isinstance(value, int | float):
        return int(value / 1000) if value > 1e11 else int(value)
    if not isinstance(value, str) or not value:
        return 0
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp())
