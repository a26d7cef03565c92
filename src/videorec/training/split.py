"""Temporal split and the validation protocol used for early stopping and model selection."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from videorec.features.log import InteractionLog
from videorec.features.signals import SignalWeights


def temporal_split(log: InteractionLog, fraction: float) -> tuple[InteractionLog, InteractionLog]:
    """Split at the time that leaves the last `fraction` of the time span for validation.

    Returns:
        (train, validation), each in chronological order.
    """
    log = log.sorted_by_time()
    if len(log) == 0:
        return log, log
    start, end = int(log.timestamps[0]), int(log.timestamps[-1])
    cutoff = start + (1.0 - fraction) * (end - start)
    later = log.timestamps > cutoff
    return log.select(~later), log.select(later)


def split_by_user(log: InteractionLog) -> dict[int, InteractionLog]:
    """Each user's events, chronological (one stable sort, then slices)."""
    order = np.lexsort((log.timestamps, log.user_ids))
    ordered = log.select(order)
    users, starts = np.unique(ordered.user_ids, return_index=True)
    ends = np.append(starts[1:], len(ordered))
    return {
        int(u): ordered.select(np.arange(s, e)) for u, s, e in zip(users, starts, ends, strict=True)
    }


@dataclass(frozen=True)
class ValidationSet:
    """Users to rank for, their training histories, and the posts they went on to want.

    Attributes:
        user_ids: shape (n,), upstream ids of users known in training.
        histories: their training events, chronological.
        targets: posts each user engaged with positively in validation and never in training.
    """

    user_ids: npt.NDArray[np.int64]
    histories: list[InteractionLog]
    targets: list[set[int]]

    def __len__(self) -> int:
        return int(self.user_ids.shape[0])

    def first_events(self, n: int) -> ValidationSet:
        """The users with at least `n` training events, each history cut to its first `n`: how
        a user with `n` events looks (the evaluation's cold slices cut test users the same
        way). Targets stay; the cut-off events are neither masked nor targets, as for a user
        who never had them."""
        keep = [i for i, h in enumerate(self.histories) if len(h) >= n]
        return ValidationSet(
            self.user_ids[keep],
            [self.histories[i].select(np.arange(n)) for i in keep],
            [self.targets[i] for i in keep],
        )


def validation_set(
    train: InteractionLog,
    valid: InteractionLog,
    catalog_ids: npt.NDArray[np.int64],
    signals: SignalWeights,
    *,
    max_users: int,
    seed: int,
) -> ValidationSet:
    """Build the validation protocol: known users, new positive posts in the catalogue only."""
    positive = valid.select(
        signals.is_positive(valid.kinds, valid.ratings) & np.isin(valid.post_ids, catalog_ids)
    )
    by_user = split_by_user(train)
    wanted: dict[int, set[int]] = {}
    for user, post in zip(positive.user_ids.tolist(), positive.post_ids.tolist(), strict=True):
        if user in by_user:
            wanted.setdefault(user, set()).add(post)
    for user, posts in list(wanted.items()):
        posts -= set(by_user[user].post_ids.tolist())
        if not posts:
            del wanted[user]
    users = np.array(sorted(wanted), dtype=np.int64)
    if users.shape[0] > max_users:
        users = np.sort(np.random.default_rng(seed).choice(users, max_users, replace=False))
    return ValidationSet(users, [by_user[int(u)] for u in users], [wanted[int(u)] for u in users])
