"""The two-tower recipe's history augmentations."""

from __future__ import annotations

import numpy as np

from videorec.training.recipes.two_tower import SHORT_HISTORY, _shortened


def _histories() -> tuple[np.ndarray, np.ndarray]:
    rows = np.tile(np.arange(1, 13, dtype=np.int64), (200, 1))
    return rows, np.ones(rows.shape, np.float32)


class TestShortened:
    def test_cuts_a_share_of_histories_to_their_last_one_to_five_events(self) -> None:
        rows, weights = _histories()
        short, short_weights = _shortened(rows, weights, 0.5, np.random.default_rng(0))
        lengths = (short > 0).sum(1)
        cut = lengths < rows.shape[1]
        assert 0.35 < cut.mean() < 0.65
        assert set(lengths[cut].tolist()) == set(range(1, SHORT_HISTORY + 1))
        for row, n in zip(short[cut], lengths[cut], strict=True):
            assert row[-n:].tolist() == rows[0, -n:].tolist()  # the newest positions are kept
        np.testing.assert_array_equal(short_weights > 0, short > 0)
        np.testing.assert_array_equal(short[~cut], rows[~cut])

    def test_zero_share_leaves_histories_alone(self) -> None:
        rows, weights = _histories()
        same, same_weights = _shortened(rows, weights, 0.0, np.random.default_rng(0))
        assert same is rows
        assert same_weights is weights
