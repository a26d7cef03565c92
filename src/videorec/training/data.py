"""Training examples as flat arrays, and batches gathered from them on the fly.

Events are sorted by (user, time). An example points at one event position p. Its history is
either the user's events in [p - L, p) (`sequence`: a model never sees the event it predicts,
nor anything later) or up to L of the user's other events in a per-epoch shuffled order (`set`:
hold-one-out, for data whose order says little). Events of the target post itself never enter
its history. Gathering per batch keeps memory flat at 10M events.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from videorec.features.log import InteractionLog
from videorec.features.pipeline import FeaturePipeline, PostTable
from videorec.features.signals import INSPIRE, LIKE, RATING

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class EventArrays:
    """The training log sorted by (user, time), as model inputs.

    Attributes:
        users: shape (n,), user vocabulary rows.
        rows: shape (n,), post table rows (0 = post not in the catalogue).
        weights: shape (n,), signed signal weights (0 for unknown posts).
        times: shape (n,), epoch seconds.
        starts: shape (n,), position of the first event of each event's user.
        ends: shape (n,), one past the last event of each event's user.
        log: the sorted log itself.
    """

    users: IntArray
    rows: IntArray
    weights: FloatArray
    times: IntArray
    starts: IntArray
    ends: IntArray
    log: InteractionLog

    @classmethod
    def build(cls, log: InteractionLog, pipeline: FeaturePipeline, table: PostTable) -> EventArrays:
        ordered = log.select(np.lexsort((log.timestamps, log.user_ids)))
        rows, weights = pipeline.event_features(table, ordered)
        first = np.r_[True, ordered.user_ids[1:] != ordered.user_ids[:-1]]
        starts = np.maximum.accumulate(np.where(first, np.arange(len(ordered)), 0))
        bounds = np.r_[np.flatnonzero(first[1:]) + 1, len(ordered)]
        ends = bounds[np.searchsorted(bounds, np.arange(len(ordered)), side="right")]
        return cls(
            pipeline.users.lookup(ordered.user_ids), rows, weights,
            ordered.timestamps, starts.astype(np.int64), ends.astype(np.int64), ordered,
        )  # fmt: skip

    def first_of_pairs(self) -> IntArray:
        """Positions of the first event of every (user, post) pair with a known post."""
        keys = self.users * (int(self.rows.max(initial=0)) + 1) + self.rows
        _, first = np.unique(keys, return_index=True)
        first = np.sort(first)
        return np.asarray(first[self.rows[first] > 0], dtype=np.int64)

    def histories(
        self, positions: IntArray, length: int, pipeline: FeaturePipeline
    ) -> tuple[IntArray, FloatArray]:
        """History windows before each position: rows and weights, each shape (b, length)."""
        idx = positions[:, None] - np.arange(length, 0, -1)[None, :]
        valid = idx >= self.starts[positions][:, None]
        idx = np.maximum(idx, 0)
        latest = self.times[np.maximum(positions - 1, 0)][:, None]
        weights = self.weights[idx] * pipeline.decay(self.times[idx], latest)
        return np.where(valid, self.rows[idx], 0), np.where(valid, weights, 0).astype(np.float32)

    def known_posts(self, positions: IntArray, n_rows: int) -> npt.NDArray[np.bool_]:
        """Which posts each position's user has an event with: shape (b, n_rows - 1), column
        r - 1 for table row r (unknown posts, row 0, have no column)."""
        example, at = _blocks(self.starts[positions], self.ends[positions])
        known = np.zeros((positions.shape[0], n_rows), dtype=np.bool_)
        known[example, self.rows[at]] = True
        return known[:, 1:]

    def holdout(
        self, users: IntArray, length: int, share: float, rng: np.random.Generator, n_rows: int
    ) -> Holdout:
        """`holdout_split` with its targets and seen posts as dense (b, n_rows - 1) masks (the
        full softmax's shape; the same draws from `rng`)."""
        return holdout_split(self, users, length, share, rng, n_rows).dense(n_rows)

    def shuffled(self, rng: np.random.Generator) -> UserShuffle:
        """A fresh random order of each user's events (users stay in their blocks)."""
        order = np.lexsort((np.asarray(rng.random(int(self.starts.shape[0]))), self.starts))
        rank = np.empty_like(order)
        rank[order] = np.arange(order.shape[0])
        return UserShuffle(order.astype(np.int64), rank.astype(np.int64))

    def set_histories(
        self, positions: IntArray, length: int, shuffle: UserShuffle
    ) -> tuple[IntArray, FloatArray]:
        """Up to `length` other events of each position's user (hold-one-out), undecayed.

        They are the events that follow the position in `shuffle`'s order, wrapping around the
        user's block, so a user's events appear at most once per history. Rows and weights,
        each shape (b, length), left-padded with zeros like `histories`.
        """
        starts = self.starts[positions]
        sizes = self.ends[positions] - starts
        offsets = np.arange(length, 0, -1)[None, :]
        at = shuffle.rank[positions][:, None] - starts[:, None]
        idx = shuffle.order[starts[:, None] + (at + offsets) % sizes[:, None]]
        valid = (offsets < sizes[:, None]) & (self.rows[idx] != self.rows[positions][:, None])
        return np.where(valid, self.rows[idx], 0), np.where(valid, self.weights[idx], 0.0).astype(
            np.float32
        )


def holdout_split(
    events: EventArrays,
    users: IntArray,
    length: int,
    share: float,
    rng: np.random.Generator,
    n_rows: int,
) -> HoldoutSplit:
    """Split each user's posts at random into targets and a history to predict them from.

    About `share` of the posts a user engaged with positively (at least one) become targets;
    up to `length` of the events on the other posts, in random order, are the history. All
    events of a target post leave the history, so no target is ever seen in its own input.
    Targets and seen posts come as (example, row) pairs: no (b, n_rows) array, so the sampled
    softmax of big catalogues does not pay for one.

    Args:
        users: shape (b,), the position of each user's first event (`starts`).
    """
    example, at = _blocks(users, events.ends[users])
    rows = events.rows[at]
    wanted = (rows > 0) & (events.weights[at] > 0)
    draw = np.where(wanted, rng.random(at.shape[0]), 2.0)
    lowest = np.full(users.shape[0], 2.0)
    np.minimum.at(lowest, example, draw)
    chosen = wanted & ((draw < share) | (draw == lowest[example]))
    target_keys = np.unique(pair_key(example[chosen], rows[chosen], n_rows))
    kept = ~np.isin(pair_key(example, rows, n_rows), target_keys) & (rows > 0)
    example, at = example[kept], at[kept]
    order = np.lexsort((np.asarray(rng.random(at.shape[0])), example))
    example, at = example[order], at[order]
    rank = np.arange(example.shape[0]) - np.searchsorted(example, example)
    fits = rank < length
    history = np.zeros((users.shape[0], length), dtype=np.int64)
    weights = np.zeros((users.shape[0], length), dtype=np.float32)
    history[example[fits], length - 1 - rank[fits]] = events.rows[at[fits]]
    weights[example[fits], length - 1 - rank[fits]] = events.weights[at[fits]]
    return HoldoutSplit(
        history, weights, target_keys // n_rows, target_keys % n_rows, example, events.rows[at]
    )


def window_ends(events: EventArrays, length: int) -> IntArray:
    """Where each `sasrec` training window ends (one past its last target event).

    Each user's sequence is cut from its newest event backwards into windows of `length`
    targets, so every event after a user's first is a target of exactly one window and a user
    with n events costs about n / `length` Transformer passes instead of n.
    """
    firsts = np.unique(events.starts)
    ends = events.ends[firsts]
    counts = -(-(ends - firsts - 1) // length)  # windows per user: its n - 1 targets
    counts = np.maximum(counts, 0)
    _, back = _blocks(np.zeros_like(counts), counts)
    return np.asarray(np.repeat(ends, counts) - back * length, dtype=np.int64)


def causal_windows(
    events: EventArrays, ends: IntArray, length: int, is_target: npt.NDArray[np.bool_]
) -> CausalWindows:
    """The inputs and next-event targets of `sasrec` windows, oldest first, right-aligned.

    Slot s of the window ending at e holds the event at e - length - 1 + s as input and the
    event after it as target; slots before the user's first event are padding (row and weight
    0), and a target counts only where `is_target` marks its event (a first positive event of
    a known post). Weights are undecayed: one pass serves every slot, so no slot's recency is
    privileged (serving reads the history undecayed too).

    Args:
        ends: shape (b,), from `window_ends`.
        is_target: shape (n,), which events may be predicted.
    """
    targets_at = ends[:, None] - np.arange(length, 0, -1)[None, :]
    inputs_at = targets_at - 1
    starts = events.starts[ends - 1][:, None]
    valid = inputs_at >= starts
    inputs_at, targets_at = np.maximum(inputs_at, 0), np.maximum(targets_at, 0)
    rows = np.where(valid, events.rows[inputs_at], 0)
    weights = np.where(valid, events.weights[inputs_at], 0.0).astype(np.float32)
    targets = np.where(valid & is_target[targets_at], events.rows[targets_at], 0)
    return CausalWindows(events.users[ends - 1], rows, weights, targets, ends - 1)


@dataclass(frozen=True)
class CausalWindows:
    """A batch of `sasrec` training windows (see `causal_windows`).

    Attributes:
        users: shape (b,), user vocabulary rows.
        rows, weights: shape (b, L), the input events (0 = padding).
        targets: shape (b, L), post table row of the next event predicted at each slot
            (0 = no target there: padding, a repeat, a non-positive event or an unknown post).
        last: shape (b,), an event position of each window's user (for `known_posts`).
    """

    users: IntArray
    rows: IntArray
    weights: FloatArray
    targets: IntArray
    last: IntArray


def _blocks(starts: IntArray, ends: IntArray) -> tuple[IntArray, IntArray]:
    """Every event position in [starts[i], ends[i]) for each i, flat: (i of each, position)."""
    sizes = ends - starts
    example = np.repeat(np.arange(starts.shape[0]), sizes)
    offsets = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    return example, np.repeat(starts, sizes) + offsets


class ExampleHistories:
    """Batches of example positions and their histories, `set` or `sequence` style.

    Args:
        style: `sequence` (events before), else `set` (hold-one-out, reshuffled each epoch).
    """

    def __init__(
        self, events: EventArrays, pipeline: FeaturePipeline, style: str,
        rng: np.random.Generator,
    ) -> None:  # fmt: skip
        self.events, self.pipeline, self.style, self.rng = events, pipeline, style, rng
        self.shuffle: UserShuffle | None = None

    def epoch(self, positions: IntArray, steps: int) -> list[IntArray]:
        """This epoch's batches (and, for `set` histories, a fresh order within each user)."""
        if self.style != "sequence":
            self.shuffle = self.events.shuffled(self.rng)
        return np.array_split(self.rng.permutation(positions), steps)

    def histories(self, batch: IntArray) -> tuple[IntArray, FloatArray]:
        """Rows and weights of each example's history, each shape (b, history_length)."""
        length = self.pipeline.history_length
        if self.style != "sequence":
            if self.shuffle is None:
                self.shuffle = self.events.shuffled(self.rng)
            return self.events.set_histories(batch, length, self.shuffle)
        return self.events.histories(batch, length, self.pipeline)


@dataclass(frozen=True)
class Holdout:
    """Multi-target examples, one per user (see `EventArrays.holdout`).

    Attributes:
        rows, weights: shape (b, L), the history (left-padded with zeros).
        targets: shape (b, n_rows - 1), the held-out posts (column r - 1 for table row r).
        seen: shape (b, n_rows - 1), the posts of the history (never negatives: serving does
            not recommend them again).
    """

    rows: IntArray
    weights: FloatArray
    targets: npt.NDArray[np.bool_]
    seen: npt.NDArray[np.bool_]


@dataclass(frozen=True)
class HoldoutSplit:
    """Multi-target examples, one per user, in sparse form (see `holdout_split`).

    Attributes:
        rows, weights: shape (b, L), the history (left-padded with zeros).
        target_example, target_rows: shape (t,), each (example, post row) target pair, once.
        seen_example, seen_rows: shape (s,), the (example, post row) pairs of every non-target
            event of the user (the history and what did not fit in it; never negatives:
            serving does not recommend them again). Pairs may repeat.
    """

    rows: IntArray
    weights: FloatArray
    target_example: IntArray
    target_rows: IntArray
    seen_example: IntArray
    seen_rows: IntArray

    def dense(self, n_rows: int) -> Holdout:
        """The same split with (b, n_rows - 1) masks (column r - 1 for table row r)."""
        b = self.rows.shape[0]
        targets = np.zeros((b, n_rows), dtype=np.bool_)
        targets[self.target_example, self.target_rows] = True
        seen = np.zeros((b, n_rows), dtype=np.bool_)
        seen[self.seen_example, self.seen_rows] = True
        return Holdout(self.rows, self.weights, targets[:, 1:], seen[:, 1:])


@dataclass(frozen=True)
class UserShuffle:
    """A per-epoch shuffle of events within each user: `order[rank[p]] == p`."""

    order: IntArray
    rank: IntArray


@dataclass(frozen=True)
class PairLabels:
    """Ranker labels of each (user, post) pair, aggregated over its events.

    Attributes:
        positions: shape (p,), first event of the pair in `EventArrays`.
        heads: shape (p, 4): wanted (any event that counts as positive: what the evaluation
            counts as relevant), like, inspire, high rating (0/1).
        rating: shape (p,), mean rating / 100, NaN when the pair has no rating.
        positive_keys: sorted `pair_key`s of the pairs the user wanted (never negatives).
    """

    positions: IntArray
    heads: FloatArray
    rating: FloatArray
    positive_keys: IntArray


def pair_key(users: IntArray, rows: IntArray, n_rows: int) -> IntArray:
    """One integer per (user row, post row) pair."""
    return np.asarray(users.astype(np.int64) * n_rows + rows, dtype=np.int64)


def pair_labels(events: EventArrays, high_from: float, n_rows: int) -> PairLabels:
    """Aggregate each pair's events into the ranker's labels."""
    keys = pair_key(events.users, events.rows, n_rows)
    uniq, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    kinds, ratings = events.log.kinds, events.log.ratings
    heads = np.zeros((uniq.shape[0], 4), dtype=np.float32)
    for column, mask in enumerate([
        events.weights > 0, kinds == LIKE, kinds == INSPIRE,
        (kinds == RATING) & (ratings >= high_from),
    ]):  # fmt: skip
        np.maximum.at(heads[:, column], inverse[mask], 1.0)
    rated = (kinds == RATING) & ~np.isnan(ratings)
    total = np.bincount(inverse[rated], ratings[rated], minlength=uniq.shape[0])
    count = np.bincount(inverse[rated], minlength=uniq.shape[0])
    rating = np.where(count > 0, total / np.maximum(count, 1) / 100.0, np.nan)
    keep = events.rows[first] > 0
    wanted = uniq[keep & (heads[:, 0] > 0)]
    return PairLabels(first[keep], heads[keep], rating[keep].astype(np.float32), wanted)
