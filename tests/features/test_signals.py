"""Signal weights: view < like, inspire, high rating; low ratings are negative evidence."""

from __future__ import annotations

import numpy as np

from videorec.features.signals import INSPIRE, LIKE, RATING, VIEW, SignalWeights


class TestSignalWeights:
    def test_orders_signals_and_makes_low_ratings_negative(self) -> None:
        kinds = np.array([VIEW, LIKE, INSPIRE, RATING, RATING, RATING], dtype=np.int8)
        ratings = np.array([np.nan, np.nan, np.nan, 90, 5, 30], dtype=np.float32)
        weights = SignalWeights(high_from=70, low_below=10).of(kinds, ratings)
        np.testing.assert_allclose(weights, [1.0, 2.0, 3.0, 3.0, -1.0, 1.0])
        assert weights[0] < weights[1] <= weights[2]
