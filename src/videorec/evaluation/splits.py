"""Train / validation / test splits of a positive-feedback log.

Both splitters first keep one event per (user, post), the earliest, so the same pair can never sit
on both sides of a split.

- `temporal` (default for our own data): one global cut by time quantiles (80/10/10 of the events):
  train is everything before the first cut, validation between the cuts, test after. Nothing in
  train happens after anything in validation or test. Users with no training event cannot be
  ranked by a personalised model and are left out of evaluation (`SplitMatrices` drops them);
  posts first seen after the cut stay in the catalogue and count as targets (no model can know
  them: that is the honest cost of a temporal split).
- `random-811` (RecBole's MovieLens protocol): per user, shuffle their events with a seed and cut
  8:1:1. With n events a user gets floor(0.1 n) validation and test events, at least one each
  when 0 < 0.1 n < 1 and more than one event stays in train (RecBole's `split_by_ratio`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from videorec.errors import InvalidInput
from videorec.features.log import InteractionLog

PROTOCOLS = ("temporal", "random-811")


@dataclass(frozen=True)
class SplitLogs:
    """Three disjoint parts of one positive-feedback log."""

    train: InteractionLog
    valid: InteractionLog
    test: InteractionLog


def split(log: InteractionLog, protocol: str, seed: int = 0) -> SplitLogs:
    """Split `log` by the named protocol (`temporal` ignores the seed)."""
    if protocol == "temporal":
        return temporal_split(log)
    if protocol == "random-811":
        return random_split(log, seed)
    raise InvalidInput(f"unknown protocol {protocol!r}; choose one of {', '.join(PROTOCOLS)}")


def first_per_pair(log: InteractionLog) -> InteractionLog:
    """The earliest event of each (user, post) pair, in chronological order."""
    ordered = log.sorted_by_time()
    pairs = np.stack([ordered.user_ids, ordered.post_ids], axis=1)
    _, first = np.unique(pairs, axis=0, return_index=True)
    return ordered.select(np.sort(first))


def temporal_split(log: InteractionLog, cuts: tuple[float, float] = (0.8, 0.9)) -> SplitLogs:
    """Global time split: events ordered by time (stable), cut at the given fractions."""
    events = first_per_pair(log)
    n = len(events)
    a, b = int(round(cuts[0] * n)), int(round(cuts[1] * n))
    positions = np.arange(n)
    return SplitLogs(
        events.select(positions < a),
        events.select((positions >= a) & (positions < b)),
        events.select(positions >= b),
    )


def split_counts(n: int, ratios: tuple[float, float, float] = (0.8, 0.1, 0.1)) -> list[int]:
    """How many of a user's n events go to train, validation and test (RecBole's rule)."""
    counts = [int(r * n) for r in ratios]
    counts[0] = n - sum(counts[1:])
    for i in range(1, len(ratios)):
        if counts[0] <= 1:
            break
        if 0 < ratios[-i] * n < 1:
            counts[-i] += 1
            counts[0] -= 1
    return counts


def random_split(log: InteractionLog, seed: int) -> SplitLogs:
    """Per-user random 8:1:1: each user's events shuffled with `seed`, then cut."""
    events = first_per_pair(log)
    rng = np.random.default_rng(seed)
    order = np.lexsort((rng.random(len(events)), events.user_ids))
    users = events.user_ids[order]
    starts = np.flatnonzero(np.r_[True, users[1:] != users[:-1]])
    sizes = np.diff(np.r_[starts, len(users)])
    part = np.empty(len(users), np.int8)
    for start, size in zip(starts, sizes, strict=True):
        n_train, n_valid, _ = split_counts(int(size))
        part[start : start + n_train] = 0
        part[start + n_train : start + n_train + n_valid] = 1
        part[start + n_train + n_valid : start + size] = 2
    shuffled = events.select(order)
    return SplitLogs(*(shuffled.select(part == p) for p in range(3)))
