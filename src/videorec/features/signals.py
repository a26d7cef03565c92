"""What each interaction says about taste: a signed weight for history pooling and the ranker's
labels. View < like, inspire, high rating; a low rating is negative evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from videorec.features.log import KIND_CODES
from videorec.kit.kinds import InteractionKind

VIEW = KIND_CODES[InteractionKind.VIEW]
LIKE = KIND_CODES[InteractionKind.LIKE]
INSPIRE = KIND_CODES[InteractionKind.INSPIRE]
RATING = KIND_CODES[InteractionKind.RATING]

HEADS = ("view", "like", "inspire", "high_rating")
"""The ranker's binary heads, in output order."""


@dataclass(frozen=True)
class SignalWeights:
    """Weights of each kind of event in the user's pooled history.

    Attributes:
        view, like, inspire, high_rating: weight of the event (positive evidence).
        low_rating: weight of a rating under `low_below` (negative: evidence against).
        high_from: a rating at or above this (0-100) is a high rating (50: the evaluation's
            positive threshold; ratings average ~29 of 100).
        low_below: a rating under this is a low rating; between the two it counts as a view.

    The one source of these defaults: `training.config.FeatureConfig` reads them from here.
    """

    view: float = 1.0
    like: float = 2.0
    inspire: float = 3.0
    high_rating: float = 3.0
    low_rating: float = -1.0
    high_from: float = 50.0
    low_below: float = 10.0

    def of(
        self, kinds: npt.NDArray[np.int8], ratings: npt.NDArray[np.float32]
    ) -> npt.NDArray[np.float32]:
        """Signed weight of each event, shape like `kinds`."""
        weights = np.full(kinds.shape, self.view, dtype=np.float32)
        weights[kinds == LIKE] = self.like
        weights[kinds == INSPIRE] = self.inspire
        rated = kinds == RATING
        high = rated & (np.nan_to_num(ratings, nan=-1.0) >= self.high_from)
        low = rated & (np.nan_to_num(ratings, nan=101.0) < self.low_below)
        weights[high] = self.high_rating
        weights[low] = self.low_rating
        return weights

    def is_positive(
        self, kinds: npt.NDArray[np.int8], ratings: npt.NDArray[np.float32]
    ) -> npt.NDArray[np.bool_]:
        """Events that count as the user wanting the post (every event but a low rating)."""
        return self.of(kinds, ratings) > 0
