"""The two-tower recipe's history augmentations and `sasrec`'s next-post loss."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.models.conftest import SIZES, tiny_table
from videorec.models import builders
from videorec.training.config import TwoTowerConfig
from videorec.training.recipes.two_tower import SHORT_HISTORY, _shortened, epoch_cap, next_post_loss


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


class TestNextPostLoss:
    """`sasrec`'s loss: every target slot of a window, and nothing of its padding."""

    def _loss(self, rows, weights, targets) -> float:
        torch.manual_seed(0)
        model = builders.two_tower(
            tiny_table(), **SIZES, dim=4, hidden=[8], out_dim=4, user_encoder="sasrec",
            history_length=4, heads=2,
        ).eval()  # fmt: skip
        n = rows.shape[0]
        known = np.zeros((n, 5), dtype=np.bool_)
        loss = next_post_loss(
            model, np.zeros(n, np.int64), rows, weights, targets, known,
            np.zeros(6, np.float32), 6, TwoTowerConfig(), np.random.default_rng(0),
            torch.device("cpu"),
        )  # fmt: skip
        return float(loss.detach())

    ROWS = np.array([[0, 1, 2, 3], [4, 3, 2, 1]])
    WEIGHTS = np.array([[0.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]], np.float32)
    TARGETS = np.array([[0, 2, 3, 5], [3, 2, 0, 5]])

    def test_padding_inputs_and_padded_windows_leave_the_loss_alone(self) -> None:
        base = self._loss(self.ROWS, self.WEIGHTS, self.TARGETS)
        rows = self.ROWS.copy()
        rows[0, 0] = 5  # weight 0: padding whatever it names
        assert self._loss(rows, self.WEIGHTS, self.TARGETS) == pytest.approx(base, abs=1e-6)
        blank = np.zeros((1, 4), np.int64)
        padded = self._loss(
            np.r_[self.ROWS, blank], np.r_[self.WEIGHTS, blank.astype(np.float32)],
            np.r_[self.TARGETS, blank],
        )  # fmt: skip
        assert padded == pytest.approx(base, abs=1e-6)  # a mean over target slots only

    def test_every_target_slot_counts(self) -> None:
        base = self._loss(self.ROWS, self.WEIGHTS, self.TARGETS)
        targets = self.TARGETS.copy()
        targets[1, 2] = 4  # a slot without a target gets one
        assert self._loss(self.ROWS, self.WEIGHTS, targets) != pytest.approx(base, abs=1e-6)


class TestEpochCap:
    def test_min_steps_raises_the_cap_for_data_with_few_steps_an_epoch(self) -> None:
        config = TwoTowerConfig(epochs=40, min_steps=600)
        assert epoch_cap(config, 15) == 40  # the demo: 40 epochs are 600 steps
        assert epoch_cap(config, 10) == 60  # MovieLens-100k's holdout epochs
        assert epoch_cap(config, 7) == 86  # rounded up
        assert epoch_cap(config, 1000) == 40  # large data: the epochs bind
        assert epoch_cap(TwoTowerConfig(epochs=40), 10) == 40  # 0: epochs alone


def test_a_fit_trains_up_to_the_raised_cap(tiny_data) -> None:
    from tests.training.conftest import tiny_config
    from videorec.training import fit
    from videorec.training.observer import SilentObserver

    class Stages(SilentObserver):
        seen: list[tuple[int, int]] = []

        def on_stage(self, stage: str, steps_per_epoch: int, epochs: int) -> None:
            self.seen.append((steps_per_epoch, epochs))

    torch.set_num_threads(1)
    log, catalog = tiny_data
    config = tiny_config(epochs=2, min_steps=23, patience=100)
    config.ranker.enabled = False
    config.short_history.enabled = False
    observer = Stages()
    model = fit(log, catalog, config, observer=observer)
    ((steps, cap),) = observer.seen
    assert cap == -(-23 // steps) > 2  # the epochs 23 steps take, above `epochs`
    assert len(model.metrics["two_tower_epochs"]) == cap  # and trained to it
