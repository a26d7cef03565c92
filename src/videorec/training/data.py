"""Training examples as flat arrays, and batches gathered from them on the fly.

Events are sorted by (user, time). An example points at one event position p; its history is
the user's events in [p - L, p), so a model never sees the event it predicts, nor anything later.
Gathering per batch keeps memory flat at 10M events.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from videorec.features.log import InteractionLog
from videorec.features.pipeline import FeaturePipeline, PostTable
from videorec.features.signals import INSPIRE, LIKE, RATING, VIEW

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
        log: the sorted log itself.
    """

    users: IntArray
    rows: IntArray
    weights: FloatArray
    times: IntArray
    starts: IntArray
    log: InteractionLog

    @classmethod
    def build(cls, log: InteractionLog, pipeline: FeaturePipeline, table: PostTable) -> EventArrays:
        ordered = log.select(np.lexsort((log.timestamps, log.user_ids)))
        rows, weights = pipeline.event_features(table, ordered)
        first = np.r_[True, ordered.user_ids[1:] != ordered.user_ids[:-1]]
        starts = np.maximum.accumulate(np.where(first, np.arange(len(ordered)), 0))
        return cls(
            pipeline.users.lookup(ordered.user_ids), rows, weights,
            ordered.timestamps, starts.astype(np.int64), ordered,
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


@dataclass(frozen=True)
class PairLabels:
    """Ranker labels of each (user, post) pair, aggregated over its events.

    Attributes:
        positions: shape (p,), first event of the pair in `EventArrays`.
        heads: shape (p, 4), view, like, inspire, high rating (0/1).
        rating: shape (p,), mean rating / 100, NaN when the pair has no rating.
    """

    positions: IntArray
    heads: FloatArray
    rating: FloatArray


def pair_labels(events: EventArrays, high_from: float) -> PairLabels:
    """Aggregate each pair's events into the ranker's labels."""
    keys = events.users * (int(events.rows.max(initial=0)) + 1) + events.rows
    uniq, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    kinds, ratings = events.log.kinds, events.log.ratings
    heads = np.zeros((uniq.shape[0], 4), dtype=np.float32)
    for column, mask in enumerate(
        [kinds == VIEW, kinds == LIKE, kinds == INSPIRE, (kinds == RATING) & (ratings >= high_from)]
    ):
        np.maximum.at(heads[:, column], inverse[mask], 1.0)
    rated = (kinds == RATING) & ~np.isnan(ratings)
    total = np.bincount(inverse[rated], ratings[rated], minlength=uniq.shape[0])
    count = np.bincount(inverse[rated], minlength=uniq.shape[0])
    rating = np.where(count > 0, total / np.maximum(count, 1) / 100.0, np.nan)
    keep = events.rows[first] > 0
    return PairLabels(first[keep], heads[keep], rating[keep].astype(np.float32))
