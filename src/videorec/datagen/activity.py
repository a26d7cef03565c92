"""How many posts each user views, and when: the heavy tail of the real logs.

A share of users never appear (`INACTIVE_USER_SHARE`); among the rest about half are light
viewers with one or two views (`LIGHT_VIEWER_SHARE`), and the heavy viewers share every other
view by log-normal weights, so a few users view hundreds of posts.
"""

from __future__ import annotations

import numpy as np

from videorec.datagen.targets import INACTIVE_USER_SHARE, LIGHT_VIEWER_SHARE
from videorec.datagen.truth import FloatArray, IntArray

DAY = 86_400
HEAVY_SIGMA = 1.3
"""Log-normal sigma of heavy viewers' weights."""


def plan_views(n_users: int, n_posts: int, n_views: int, rng: np.random.Generator) -> IntArray:
    """Views per user, summing to `n_views` (fewer only if every user is at capacity).

    Returns:
        shape (n_users,), int64.
    """
    n_active = min(round(n_users * (1 - INACTIVE_USER_SHARE)), int(n_views / 2.3))
    n_light = round(n_active * LIGHT_VIEWER_SHARE)
    active = rng.permutation(n_users)[:n_active]
    views = np.zeros(n_users, dtype=np.int64)
    light, heavy = active[:n_light], active[n_light:]
    views[light] = 1 + (rng.random(n_light) < 0.45)
    remaining = n_views - int(views.sum())
    capacity = max(3, n_posts // 5)
    weights = rng.lognormal(0.0, HEAVY_SIGMA, size=len(heavy))
    views[heavy] = 3 + allocate(remaining - 3 * len(heavy), weights, capacity - 3)
    return views


def allocate(total: int, weights: FloatArray, cap: int) -> IntArray:
    """Split `total` into integers ∝ `weights` (largest remainder), none above `cap`."""
    counts = np.zeros(len(weights), dtype=np.int64)
    left, open_ = max(total, 0), np.ones(len(weights), dtype=bool)
    for _ in range(20):
        if left <= 0 or not open_.any():
            break
        share = np.where(open_, weights, 0.0)
        exact = left * share / share.sum()
        add = np.floor(exact).astype(np.int64)
        short = left - int(add.sum())
        add[np.argsort(-(exact - add), kind="stable")[:short]] += 1
        counts = np.minimum(counts + add, cap)
        left = total - int(counts.sum())
        open_ = counts < cap
    return counts


def plan_windows(
    views: IntArray, start: int, end: int, rng: np.random.Generator
) -> tuple[IntArray, IntArray]:
    """Each user's activity window [from, to] in epoch seconds, inside [start, end].

    Light users are active for about a day; heavier users for longer (weeks to months), so the
    log holds people who arrive late and leave early, and cold starts are common.
    """
    span = end - start
    length = np.where(
        views <= 2,
        DAY,
        np.minimum(span, rng.exponential(30 * DAY, len(views)) * np.log2(views + 1)),
    ).astype(np.int64)
    length = np.maximum(length, DAY)
    opens = start + (rng.random(len(views)) * np.maximum(span - length, 1)).astype(np.int64)
    return opens, np.minimum(opens + length, end)
