"""Which posts each user picks, vectorised: P(post) ∝ popularity^a · exp(b · affinity).

Affinity depends on the post only through its (topic, mood) cell, so a pick is two draws: a cell
from the user's distribution over cells (cell weight = total popularity^a of its posts times
exp(b · affinity)), then a post inside the cell by popularity^a among the posts that exist at the
pick's time. Both draws are `searchsorted` on cumulative sums; nothing loops per event.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from videorec.datagen.truth import FloatArray, IntArray, Truth

BoolArray = npt.NDArray[np.bool_]

USER_CHUNK = 8_192
"""Users whose cell distributions are held in memory at once."""
COMPLETE_ENOUGH = 0.001
"""Stop topping up once fewer than 0.1% of the wanted picks are missing."""
TIME_BASE = 10**11
"""Larger than any epoch second, so cell * TIME_BASE + time sorts by cell, then time."""


@dataclass(frozen=True)
class Picks:
    """Distinct (user, post) pairs with the time each was picked, all shape (n,)."""

    users: IntArray
    posts: IntArray
    times: IntArray


class CellIndex:
    """Posts sorted by (cell, created_at), with cumulative popularity weights."""

    def __init__(self, truth: Truth) -> None:
        n_moods = truth.mood_taste.shape[1]
        self.n_cells = truth.topic_taste.shape[1] * n_moods
        self.cell_topic = np.arange(self.n_cells) // n_moods
        self.cell_mood = np.arange(self.n_cells) % n_moods
        cells = truth.post_topics * n_moods + truth.post_moods
        keys = cells * TIME_BASE + truth.post_created_at
        self.order = np.argsort(keys, kind="stable")
        self.keys = keys[self.order]
        weight = truth.popularity[self.order] ** truth.params.popularity_weight
        self.cum_weight = np.concatenate([[0.0], np.cumsum(weight)])
        self.cell_start = np.searchsorted(self.keys, np.arange(self.n_cells) * TIME_BASE)
        cell_end = np.searchsorted(self.keys, np.arange(1, self.n_cells + 1) * TIME_BASE)
        self.cell_weight = self.cum_weight[cell_end] - self.cum_weight[self.cell_start]

    def cell_cdf(self, truth: Truth, users: IntArray) -> FloatArray:
        """Cumulative cell probabilities of `users`, shape (len(users), n_cells), rows end at 1."""
        topic = truth.topic_taste[users] / truth.topic_taste[users].max(axis=1, keepdims=True)
        mood = truth.mood_taste[users] / truth.mood_taste[users].max(axis=1, keepdims=True)
        weight = truth.params.topic_weight
        affinity = weight * topic[:, self.cell_topic] + (1 - weight) * mood[:, self.cell_mood]
        odds = self.cell_weight[None, :] * np.exp(truth.params.taste_strength * affinity)
        cdf = np.cumsum(odds, axis=1)
        return cdf / cdf[:, -1:]  # type: ignore[no-any-return]

    def post_in_cell(
        self, cells: IntArray, times: IntArray, draws: FloatArray
    ) -> tuple[IntArray, BoolArray]:
        """A post row per (cell, time) by popularity among posts created by then.

        Returns:
            post rows, shape (n,), and a mask of the picks whose cell had no post yet.
        """
        first = self.cell_start[cells]
        stop = np.searchsorted(self.keys, cells * TIME_BASE + times, side="right")
        empty = stop <= first
        base = self.cum_weight[first]
        target = base + draws * (self.cum_weight[stop] - base)
        pos = np.searchsorted(self.cum_weight, target, side="right") - 1
        pos = np.clip(pos, first, np.maximum(stop - 1, first))
        return self.order[np.minimum(pos, len(self.order) - 1)], empty


def draw_picks(truth: Truth, index: CellIndex, counts: IntArray, rng: np.random.Generator) -> Picks:
    """`counts[u]` picks (with replacement) for each user row u, at times in their window."""
    users_all, posts_all, times_all = [], [], []
    wanting = np.flatnonzero(counts > 0)
    for first in range(0, len(wanting), USER_CHUNK):
        rows = wanting[first : first + USER_CHUNK]
        local = np.repeat(np.arange(len(rows)), counts[rows])
        cdf = index.cell_cdf(truth, rows)
        flat = (cdf + np.arange(len(rows))[:, None]).ravel()
        cell_pick = np.searchsorted(flat, local + rng.random(len(local)) * (1 - 1e-12))
        cells = cell_pick - local * index.n_cells
        users = rows[local]
        span = truth.active_to[users] - truth.active_from[users]
        times = truth.active_from[users] + (rng.random(len(users)) * span).astype(np.int64)
        posts, empty = index.post_in_cell(cells, times, rng.random(len(users)))
        keep = ~empty
        users_all.append(users[keep])
        posts_all.append(posts[keep])
        times_all.append(times[keep])
    return Picks(_cat(users_all), _cat(posts_all), _cat(times_all))


def distinct_picks(
    truth: Truth, counts: IntArray, rng: np.random.Generator, rounds: int = 12
) -> Picks:
    """Up to `counts[u]` distinct posts per user row u (fewer if their picks keep colliding)."""
    index = CellIndex(truth)
    n_posts = len(truth.post_ids)
    have = Picks(_cat([]), _cat([]), _cat([]))
    previous = float("inf")
    for attempt in range(rounds):
        deficit = counts - np.bincount(have.users, minlength=len(counts))
        missing = int(deficit.sum())
        if missing <= COMPLETE_ENOUGH * counts.sum() or missing > 0.9 * previous:
            break  # done, or only saturated users are left
        previous = float(missing)
        extra = deficit + np.ceil(deficit * 0.25 * (1 + attempt)).astype(np.int64)
        new = draw_picks(truth, index, extra, rng)
        have = _keep_distinct(_concat(have, new), counts, n_posts)
    return have


def _keep_distinct(picks: Picks, counts: IntArray, n_posts: int) -> Picks:
    """First occurrence of each (user, post) pair, then at most counts[u] per user."""
    keys = picks.users * n_posts + picks.posts
    _, first = np.unique(keys, return_index=True)
    first = np.sort(first)
    users = picks.users[first]
    order = np.argsort(users, kind="stable")
    sorted_users = users[order]
    starts = np.searchsorted(sorted_users, sorted_users, side="left")
    rank = np.arange(len(order)) - starts
    keep = np.sort(first[order[rank < counts[sorted_users]]])
    return Picks(picks.users[keep], picks.posts[keep], picks.times[keep])


def _concat(a: Picks, b: Picks) -> Picks:
    return Picks(
        np.concatenate([a.users, b.users]),
        np.concatenate([a.posts, b.posts]),
        np.concatenate([a.times, b.times]),
    )


def _cat(parts: list[IntArray]) -> IntArray:
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)
