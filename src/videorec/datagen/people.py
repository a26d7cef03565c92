"""User objects in the 2025 `/users/get_all` shape (API.md §5: 36 keys, in order)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import orjson

from videorec.datagen.truth import IntArray, Truth
from videorec.datagen.vocabulary import FIRST_NAMES, LAST_NAMES

CHUNK = 5_000
AVATAR = "https://cdn-assets.socialverseapp.com/profile/flic-avatar-{:032x}.png"


@dataclass(frozen=True)
class People:
    """Per-user display fields, shape (n_users,) each; creators reuse them on their posts."""

    first_names: list[str]
    last_names: list[str]
    usernames: list[str]
    profile_urls: list[str]
    is_creator: np.ndarray
    has_wallet: np.ndarray


def sample_people(truth: Truth, rng: np.random.Generator) -> People:
    """Names, usernames (unique: they end in the user id) and avatars of every user."""
    n = len(truth.user_ids)
    firsts = [FIRST_NAMES[i] for i in rng.integers(0, len(FIRST_NAMES), n).tolist()]
    lasts = [LAST_NAMES[i] for i in rng.integers(0, len(LAST_NAMES), n).tolist()]
    avatar_bits = rng.integers(0, 2**62, size=(n, 2)).tolist()
    is_creator = np.zeros(n, dtype=bool)
    is_creator[truth.post_creators] = True
    return People(
        first_names=firsts,
        last_names=lasts,
        usernames=[
            f"{f.lower()}{l_[:3].lower()}{uid}"
            for f, l_, uid in zip(firsts, lasts, truth.user_ids.tolist(), strict=True)
        ],
        profile_urls=[AVATAR.format((a << 64) | b) for a, b in avatar_bits],
        is_creator=is_creator,
        has_wallet=rng.random(n) < 0.3,
    )


def user_chunks(
    truth: Truth, people: People, post_counts: IntArray, active: np.ndarray,
    rng: np.random.Generator,
) -> Iterator[str]:  # fmt: skip
    """Every user object as JSON text, in ascending id order, chunk by chunk."""
    n = len(truth.user_ids)
    followers = rng.zipf(2.0, size=n) - 1
    following = rng.poisson(3, size=n)
    streaks = rng.poisson(1, size=n)
    for start in range(0, n, CHUNK):
        rows = range(start, min(start + CHUNK, n))
        users = [
            _user(truth, people, i, int(post_counts[i]), bool(active[i]),
                  int(followers[i]), int(following[i]), int(streaks[i]))
            for i in rows
        ]  # fmt: skip
        yield ",\n".join(orjson.dumps(u).decode() for u in users)


def _user(
    truth: Truth, people: People, i: int, posts: int, active: bool,
    followers: int, following: int, streak: int,
) -> dict[str, Any]:  # fmt: skip
    uid = int(truth.user_ids[i])
    creator = bool(people.is_creator[i])
    last_login = _stamp(int(truth.active_to[i])) if active else ""
    return {
        "id": uid, "first_name": people.first_names[i], "last_name": people.last_names[i],
        "username": people.usernames[i], "twitter_url": "", "twitter_username": "",
        "twitter_profile_url": "", "email": f"user{uid}@example.invalid", "gender": "",
        "role": "A" if uid == 1 else "U", "profile_url": people.profile_urls[i], "bio": "",
        "user_type": "creator" if creator else None, "hourly_rate": 0, "currency": "USD",
        "website_url": "", "instagram-url": None, "youtube_url": None, "tictok_url": None,
        "isVerified": False, "referral_code": "", "has_wallet": bool(people.has_wallet[i]),
        "last_login": last_login, "share_count": 0, "total_reward_points": 10 * streak,
        "referral_point": 0, "referral_count": 0, "total_inspired_user_count": 0,
        "daily_login_streak": streak if active else 0, "post_count": posts,
        "following_count": following, "follower_count": followers + (20 if creator else 0),
        "is_verified": creator, "is_online": False, "latitude": "", "longitude": "",
    }  # fmt: skip


def _stamp(epoch_s: int) -> str:
    return datetime.fromtimestamp(epoch_s, UTC).strftime("%Y-%m-%d %H:%M:%S")
