"""The two-tower recipe's history augmentations and `sasrec`'s next-post loss."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.models.conftest import SIZES, tiny_table
from videorec.features.log import PostCatalog
from videorec.models import builders
from videorec.training import fit
from videorec.training.config import TwoTowerConfig
from videorec.training.recipes.two_tower import (
    SHORT_HISTORY,
    _never_targets,
    _shortened,
    _uniform_pool,
    next_post_loss,
)


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


def _with_unseen_posts(catalog: PostCatalog, n: int) -> PostCatalog:
    """`catalog` plus n posts (copies of its first ones, new ids) that no event touches."""
    ids = np.arange(n, dtype=np.int64) + int(catalog.post_ids.max()) + 1
    return PostCatalog(
        post_ids=np.r_[catalog.post_ids, ids],
        category_ids=np.r_[catalog.category_ids, catalog.category_ids[:n]],
        creators=[*catalog.creators, *catalog.creators[:n]],
        created_at=np.r_[catalog.created_at, catalog.created_at[:n]],
        texts=[*catalog.texts, *catalog.texts[:n]],
        mood_terms=[*catalog.mood_terms, *catalog.mood_terms[:n]],
        counters={k: np.r_[v, np.zeros(n, v.dtype)] for k, v in catalog.counters.items()},
    )


class TestColdNegatives:
    """`two_tower.cold_negatives`: whether posts no example targets are negatives."""

    def test_never_target_posts_are_left_out_of_the_uniform_pool(self) -> None:
        never = _never_targets(np.array([2, 5, 5, 7]), 9)
        assert np.flatnonzero(~never).tolist() == [1, 4, 6]  # columns: table row - 1
        pool = _uniform_pool(9, 3, np.random.default_rng(0), never)
        assert sorted(pool.tolist()) == [2, 5, 7]
        assert sorted(_uniform_pool(9, 2, np.random.default_rng(0), never).tolist()) in (
            [2, 5], [2, 7], [5, 7],
        )  # fmt: skip
        assert _uniform_pool(9, 8, np.random.default_rng(0)).tolist() == list(range(1, 9))

    @pytest.mark.parametrize("history", ["holdout", "set"])
    def test_posts_without_training_events_get_no_push_down(self, tiny_data, history) -> None:
        """Posts with no training event share the post id tables' unknown row: their learned
        bias (zero at the start) moves only when they are negatives of the softmax."""
        from tests.training.conftest import tiny_config

        log, catalog = tiny_data
        catalog = _with_unseen_posts(catalog, 10)
        torch.set_num_threads(1)

        def unknown_bias(cold_negatives: bool) -> float:
            config = tiny_config(post_bias=True, epochs=2, history=history,
                                 cold_negatives=cold_negatives)  # fmt: skip
            config.ranker.enabled = False
            config.short_history.enabled = False
            bias = fit(log, catalog, config).two_tower.post_bias
            assert bias is not None
            return float(bias.weight[0, 0].detach())

        assert unknown_bias(False) == 0.0
        assert unknown_bias(True) < -1e-3  # pushed down as a negative of every softmax
