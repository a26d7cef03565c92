"""Post objects in the 2025 `/posts/summary/get` shape (API.md §4: 38 keys, in order).

The owner (creator) is flattened into the post as upstream does; the category is the real
catalogue's object for the post's topic, or `[]` for a few posts, as in the real data.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson

from videorec.datagen.people import People
from videorec.datagen.summary import post_summary
from videorec.datagen.truth import IntArray, Truth
from videorec.datagen.vocabulary import CATEGORIES, TITLE_OPENERS, TOPICS

CHUNK = 2_000
NO_CATEGORY_SHARE = 0.03
EMPTY_TITLE_SHARE = 0.2
CDN = "https://video-cdn.socialverseapp.com"
IDENTIFIER_ALPHABET = np.array(
    list("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
)
CATEGORY_BY_ID = {c.id: c for c in CATEGORIES}


@dataclass(frozen=True)
class PostCounts:
    """Log-derived counts per post row, shape (n_posts,) each."""

    views: IntArray
    likes: IntArray
    ratings: IntArray
    rating_sums: IntArray


def post_categories(truth: Truth, rng: np.random.Generator) -> IntArray:
    """The category id of each post (its topic's), or 0 for the few without a category."""
    by_topic = np.array([t.category_id for t in TOPICS], dtype=np.int64)
    return np.where(
        rng.random(len(truth.post_ids)) < NO_CATEGORY_SHARE, 0, by_topic[truth.post_topics]
    )


def post_chunks(
    truth: Truth, people: People, categories: IntArray, counts: PostCounts,
    rng: np.random.Generator,
) -> Iterator[str]:  # fmt: skip
    """Every post object as JSON text, in ascending id order, chunk by chunk."""
    n = len(truth.post_ids)
    per_category = {
        cid: int(c) for cid, c in zip(*np.unique(categories, return_counts=True), strict=True)
    }
    identifiers = ["".join(r) for r in IDENTIFIER_ALPHABET[rng.integers(0, 64, (n, 7))].tolist()]
    extras = rng.poisson(4, size=(n, 4))
    for start in range(0, n, CHUNK):
        posts = [
            _post(
                truth, people, i, categories, per_category, counts, identifiers[i], extras[i], rng
            )
            for i in range(start, min(start + CHUNK, n))
        ]
        yield ",\n".join(orjson.dumps(p).decode() for p in posts)


def _category(category_id: int, per_category: dict[int, int]) -> Any:
    if category_id == 0:
        return []
    info = CATEGORY_BY_ID[category_id]
    return {"id": info.id, "name": info.name, "count": per_category[category_id],
            "description": info.description, "image_url": info.image_url}  # fmt: skip


def _title(topic_index: int, rng: np.random.Generator) -> str:
    if rng.random() < EMPTY_TITLE_SHARE:
        return ""
    topic = TOPICS[topic_index]
    opener = TITLE_OPENERS[int(rng.integers(0, len(TITLE_OPENERS)))]
    keyword = topic.keywords[int(rng.integers(0, len(topic.keywords)))]
    return f"{opener} {keyword} #{topic.name}"


def _post(
    truth: Truth, people: People, i: int, categories: IntArray, per_category: dict[int, int],
    counts: PostCounts, identifier: str, extras: IntArray, rng: np.random.Generator,
) -> dict[str, Any]:  # fmt: skip
    pid, owner, category_id = (
        int(truth.post_ids[i]),
        int(truth.post_creators[i]),
        int(categories[i]),
    )
    title = _title(int(truth.post_topics[i]), rng)
    slug = f"{'-'.join(title.lower().replace('#', '').split())}-{pid}" if title else f"{pid:040x}"
    video = f"{CDN}/{people.usernames[owner]}_{int(rng.integers(0, 2**62)):032x}"
    crypto = category_id in (21, 22)
    n_ratings = int(counts.ratings[i])
    return {
        "id": pid, "category": _category(category_id, per_category), "topic": [], "slug": slug,
        "title": title, "identifier": identifier, "comment_count": int(extras[0]),
        "upvote_count": int(counts.likes[i] + extras[1]),
        "view_count": int(counts.views[i] * 3 + extras[2]),
        "exit_count": int(extras[3]), "rating_count": n_ratings,
        "average_rating": round(int(counts.rating_sums[i]) / n_ratings) if n_ratings else 0,
        "share_count": int(extras[1] // 2), "bookmark_count": 0, "video_link": f"{video}.mp4",
        "contract_address": f"{pid:044x}" if crypto else "", "chain_id": "solana" if crypto else "",
        "chart_url": f"https://dexscreener.com/solana/{pid:044x}" if crypto else "",
        "baseToken": {"address": "", "name": "", "symbol": "", "image_url": ""},
        "is_locked": False, "created_at": int(truth.post_created_at[i]) * 1000,
        "first_name": people.first_names[owner], "last_name": people.last_names[owner],
        "username": people.usernames[owner], "user_type": "creator",
        "has_evm_wallet": bool(people.has_wallet[owner]), "has_solana_wallet": crypto,
        "is_viewed": False, "upvoted": False, "bookmarked": False,
        "is_available_in_public_feed": True, "thumbnail_url": f"{video}.0000002.jpg",
        "gif_thumbnail_url": f"{video}.gif", "following": False,
        "picture_url": people.profile_urls[owner],
        "post_summary": post_summary(int(truth.post_topics[i]), int(truth.post_moods[i]), rng),
        "tags": [], "source_matrix": [],
    }  # fmt: skip
