"""`holdout` examples over a sampled softmax, for catalogues above `full_softmax_up_to`.

A step's users are split into targets and histories (`data.holdout_split`) -> the candidates
are the batch's targets plus a uniform pool, each post once -> per user, a mask of its targets
and of its other posts among them -> `sampled_multi_target_loss`, each logit lowered by the log
of its post's chance to be a candidate (`holdout_log_q`). The user tower runs once per user for
all its targets, as with the full softmax, and no (batch, catalogue) array is ever built.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from videorec.training.data import EventArrays, HoldoutSplit, IntArray, holdout_split

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Candidates:
    """The posts one sampled holdout step scores, and what they are to each user.

    Attributes:
        rows: shape (c,), sorted distinct post rows: the batch's targets and the pool.
        target_example, target_column: shape (t,), each user's targets as (user, column).
        seen: shape (b, c), True for each user's other posts (never its negatives, never one
            of its targets).
    """

    rows: IntArray
    target_example: IntArray
    target_column: IntArray
    seen: BoolArray


def batch_candidates(split: HoldoutSplit, pool: IntArray) -> Candidates:
    """Candidates of one step: every target of the batch plus the `pool` rows, each once; a
    target of one user is an in-batch negative of the others unless they saw it."""
    rows = np.unique(np.concatenate([split.target_rows, pool]))
    b, c = split.rows.shape[0], rows.shape[0]
    target_column = np.searchsorted(rows, split.target_rows)
    seen = np.zeros((b, c), dtype=np.bool_)
    at = np.minimum(np.searchsorted(rows, split.seen_rows), c - 1)
    hit = rows[at] == split.seen_rows
    seen[split.seen_example[hit], at[hit]] = True
    seen[split.target_example, target_column] = False
    return Candidates(rows, split.target_example, target_column, seen)


def targets_per_step(
    events: EventArrays, users: IntArray, share: float, n_rows: int, per_pass: int, seed: int
) -> float:
    """The mean number of targets in one step's split: one pass of `holdout_split` over
    `users` in `per_pass` batches, drawn with its own generator (`seed`), so training's draws
    are untouched. Counted, not estimated from the positive pairs: every user holds out at
    least one post, and a pair with several positive events is drawn more often (targets per
    positive pair: 1.02 on the 10M bench log, 1.30 on its 200k one).
    """
    rng = np.random.default_rng(seed)
    targets = sum(
        holdout_split(events, batch, 1, share, rng, n_rows).target_rows.shape[0]
        for batch in np.array_split(users, per_pass)
    )
    return float(targets) / per_pass


def holdout_log_q(
    positive_rows: IntArray, n_rows: int, targets_per_step: float, pool: int
) -> npt.NDArray[np.float32]:
    """log of each post row's probability of being among one step's candidates.

    A step draws about `targets_per_step` targets, each post in proportion to its positive
    pairs (`positive_rows`: the post row of every positive (user, post) pair), and `pool`
    distinct posts uniformly. Candidates are distinct, so this is an inclusion probability,
    1 - (1 - p)^t (1 - pool / m), not an expected count: a head post is one column however
    many users hold it out.
    """
    counts = np.bincount(positive_rows, minlength=n_rows).astype(np.float64)
    share = counts / max(float(counts.sum()), 1.0)
    missed_pool = 1.0 - min(pool, n_rows - 1) / max(n_rows - 1, 1)
    missed = np.exp(targets_per_step * np.log1p(-np.minimum(share, 1.0 - 1e-12))) * missed_pool
    return np.asarray(np.log(np.maximum(1.0 - missed, 1e-12)), dtype=np.float32)
