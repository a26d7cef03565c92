"""From picked (user, post) pairs to the four logs, with taste deciding each signal.

- view: every logged pick. A view is weak evidence: popularity and taste both drive picks.
- like, inspire: a subset of picks drawn without replacement with weight exp(c · affinity)
  (`like_strength`, `inspire_strength`), so they are strong evidence of taste.
- rating: a subset of picks; its 0-100 value is affinity plus noise, mapped by rank onto the
  real rating histogram (`targets.RATING_HISTOGRAM`), so it carries affinity monotonically.

About one engagement in ten is on a pick with no logged view (`ENGAGED_WITHOUT_VIEW_SHARE`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from videorec.datagen.choice import Picks
from videorec.datagen.targets import RATING_HISTOGRAM
from videorec.datagen.truth import FloatArray, IntArray, Truth


@dataclass(frozen=True)
class Log:
    """One interaction log, sorted by time, all shape (n,). `values` only for ratings."""

    users: IntArray
    posts: IntArray
    times: IntArray
    values: IntArray | None = None


def split_logs(
    truth: Truth,
    picks: Picks,
    views: IntArray,
    counts: dict[str, int],
    rng: np.random.Generator,
) -> dict[str, Log]:
    """The view, like, inspire and rating logs of `picks`.

    Args:
        picks: distinct (user row, post row) pairs.
        views: shape (n_users,), how many of each user's picks are logged views.
        counts: target rows of "like", "inspire" and "rating".
    """
    viewed = _first_per_user(picks.users, views)
    affinity = truth.affinity_pairs(picks.users, picks.posts)
    params = truth.params
    logs = {"view": _log(picks, viewed, 0, rng)}
    like = _weighted_subset(np.exp(params.like_strength * affinity), counts["like"], rng)
    logs["like"] = _log(picks, like, 600, rng)
    inspire = _weighted_subset(np.exp(params.inspire_strength * affinity), counts["inspire"], rng)
    logs["inspire"] = _log(picks, inspire, 900, rng)
    rated = _weighted_subset(np.exp(affinity), counts["rating"], rng)
    noisy = affinity[rated] + rng.normal(0.0, params.rating_noise, size=int(rated.sum()))
    logs["rating"] = _log(picks, rated, 300, rng, values=histogram_values(noisy, rng))
    return logs


def _first_per_user(users: IntArray, limit: IntArray) -> np.ndarray:
    """Mask of the first `limit[u]` pairs of each user u (in pick order)."""
    order = np.argsort(users, kind="stable")
    sorted_users = users[order]
    rank = np.arange(len(users)) - np.searchsorted(sorted_users, sorted_users, side="left")
    mask = np.zeros(len(users), dtype=bool)
    mask[order] = rank < limit[sorted_users]
    return mask


def _weighted_subset(weights: FloatArray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Mask of n items drawn without replacement ∝ weights (exponential race keys)."""
    n = min(n, len(weights))
    keys = rng.exponential(size=len(weights)) / weights
    mask = np.zeros(len(weights), dtype=bool)
    if n:
        mask[np.argpartition(keys, n - 1)[:n]] = True
    return mask


def _log(
    picks: Picks,
    mask: np.ndarray,
    max_delay_s: int,
    rng: np.random.Generator,
    values: IntArray | None = None,
) -> Log:
    """The masked picks as a log, shifted by a random delay after the pick, sorted by time."""
    times = picks.times[mask] + rng.integers(0, max_delay_s + 1, size=int(mask.sum()))
    order = np.argsort(times, kind="stable")
    return Log(
        users=picks.users[mask][order],
        posts=picks.posts[mask][order],
        times=times[order],
        values=None if values is None else values[order],
    )


def histogram_values(scores: FloatArray, rng: np.random.Generator) -> IntArray:
    """Map scores by rank onto 0-100 integers distributed as `RATING_HISTOGRAM`.

    The i-th smallest score gets the i-th quantile of the histogram (uniform inside each bin of
    width 10; the last bin includes 100), so higher affinity always means a higher rating.
    """
    n = len(scores)
    hist = np.asarray(RATING_HISTOGRAM, dtype=np.float64)
    edges = np.concatenate([[0.0], np.cumsum(hist) / hist.sum()])
    quantiles = (np.arange(n) + rng.random(n)) / max(n, 1)
    bins = np.clip(np.searchsorted(edges, quantiles, side="right") - 1, 0, len(hist) - 1)
    inside = (quantiles - edges[bins]) / (edges[bins + 1] - edges[bins])
    width = np.where(bins == len(hist) - 1, 11, 10)
    values = np.minimum(bins * 10 + np.floor(inside * width), 100).astype(np.int64)
    result = np.empty(n, dtype=np.int64)
    result[np.argsort(scores, kind="stable")] = values
    return result
