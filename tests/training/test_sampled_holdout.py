"""`holdout` examples over a sampled softmax (catalogues above `full_softmax_up_to`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from tests.training.test_data import _events
from videorec.features.pipeline import FeaturePipeline
from videorec.models import builders
from videorec.training.config import TrainConfig
from videorec.training.data import EventArrays, HoldoutSplit, holdout_split
from videorec.training.observer import SilentObserver
from videorec.training.recipes import two_tower as recipe
from videorec.training.sampled_holdout import batch_candidates, holdout_log_q, targets_per_step
from videorec.training.stages import model_sizes, table_tensors, tower_args
from videorec.training.synthetic import synthetic_data


def _split() -> HoldoutSplit:
    # user 0: targets 3, 7, seen 2, 9 (9 twice); user 1: target 2, seen 3, 8
    return HoldoutSplit(
        rows=np.zeros((2, 2), np.int64), weights=np.zeros((2, 2), np.float32),
        target_example=np.array([0, 0, 1]), target_rows=np.array([3, 7, 2]),
        seen_example=np.array([0, 0, 0, 1, 1]), seen_rows=np.array([2, 9, 9, 3, 8]),
    )  # fmt: skip


class TestHoldoutSplit:
    def test_dense_is_the_pairs_and_targets_and_seen_cover_each_users_posts(self) -> None:
        events = _events([1, 1, 1, 1, 1, 2, 2], [10, 11, 10, 12, 13, 14, 11], [80.0] * 7)
        n_rows = int(events.rows.max()) + 1
        users = np.unique(events.starts)
        for seed in range(10):
            split = holdout_split(events, users, 2, 0.3, np.random.default_rng(seed), n_rows)
            dense = events.holdout(users, 2, 0.3, np.random.default_rng(seed), n_rows)
            np.testing.assert_array_equal(split.rows, dense.rows)
            for b, user in enumerate(users):
                mine = set(events.rows[user : events.ends[user]].tolist())
                targets = set(split.target_rows[split.target_example == b].tolist())
                seen = set(split.seen_rows[split.seen_example == b].tolist())
                assert targets
                assert not targets & seen
                assert targets | seen == mine
                assert {int(c) + 1 for c in np.flatnonzero(dense.targets[b])} == targets
                assert {int(c) + 1 for c in np.flatnonzero(dense.seen[b])} == seen


class TestBatchCandidates:
    def test_targets_and_pool_once_each_with_every_users_masks(self) -> None:
        candidates = batch_candidates(_split(), np.array([5, 7, 9]))
        rows = candidates.rows.tolist()
        assert rows == [2, 3, 5, 7, 9]

        def marked(mask: np.ndarray, b: int) -> set[int]:
            return {rows[c] for c in np.flatnonzero(mask[b])}

        targets = np.zeros_like(candidates.seen)
        targets[candidates.target_example, candidates.target_column] = True
        assert marked(targets, 0) == {3, 7}
        assert marked(targets, 1) == {2}
        assert targets.sum() == 3
        assert marked(candidates.seen, 0) == {2, 9}  # user 1's target, user 0 saw it
        assert marked(candidates.seen, 1) == {3}  # 8 is no candidate
        # what a user may score as a negative: the candidates neither target nor seen
        assert marked(~targets & ~candidates.seen, 0) == {5}
        assert marked(~targets & ~candidates.seen, 1) == {5, 7, 9}


class TestHoldoutLogQ:
    def test_popular_posts_are_likelier_candidates_and_no_probability_exceeds_one(self) -> None:
        positives = np.array([1] * 50 + [2] * 5 + [3])
        log_q = holdout_log_q(positives, 6, targets_per_step=10.0, pool=2)
        assert log_q[1] > log_q[2] > log_q[3] > log_q[4]
        assert log_q[4] == pytest.approx(np.log(2 / 5))  # never a target: the pool alone
        assert (log_q <= 0).all()
        expected = 1 - (1 - 5 / 56) ** 10 * (1 - 2 / 5)
        assert log_q[2] == pytest.approx(np.log(expected), rel=1e-5)


def _prepared(config: TrainConfig) -> tuple[Any, EventArrays, FeaturePipeline, int]:
    log, catalog = synthetic_data(users=60, posts=80, interactions=1_500, seed=11)
    pipeline = FeaturePipeline.fit(log, catalog, history_length=10)
    table = pipeline.post_table(catalog, None)
    events = EventArrays.build(log, pipeline, table)
    tensors = {k: torch.from_numpy(v) for k, v in table_tensors(table).items()}
    torch.manual_seed(0)
    model = builders.two_tower(tensors, **model_sizes(pipeline), **tower_args(config), sparse=True)
    return model, events, pipeline, int(table.id_rows.shape[0])


class TestTargetsPerStep:
    def test_is_the_mean_target_count_of_a_pass_not_the_positive_pairs_per_step(self) -> None:
        _, events, _, n_rows = _prepared(TrainConfig())
        users = np.unique(events.starts)
        per_pass = -(-users.shape[0] // 16)
        counted = targets_per_step(events, users, 0.2, n_rows, per_pass, seed=3)
        draws = [
            sum(holdout_split(events, b, 1, 0.2, rng, n_rows).target_rows.shape[0]
                for b in np.array_split(users, per_pass)) / per_pass
            for rng in (np.random.default_rng(s) for s in range(20))
        ]  # fmt: skip
        assert abs(counted - np.mean(draws)) < 4 * np.std(draws) + 1e-9
        positives = events.first_of_pairs()
        pairs = int((events.weights[positives] > 0).sum())
        assert counted > 1.05 * 0.2 * pairs / per_pass  # every user holds out at least one post


class StepCount(SilentObserver):
    def __init__(self) -> None:
        self.steps = 0

    def on_stage(self, stage: str, steps_per_epoch: int, epochs: int) -> None:
        self.steps = steps_per_epoch


class TestSampledHoldoutRecipe:
    """A catalogue above `full_softmax_up_to` trains `holdout` examples on the sampled loss,
    with each user's own posts masked and the logQ correction in its logits."""

    def _train(self, monkeypatch, **two_tower: object) -> tuple[list[dict[str, Any]], int, Any]:
        config = TrainConfig.model_validate({"two_tower": {
            "dim": 8, "hidden": [16], "out_dim": 8, "batch_size": 16, "epochs": 1,
            "full_softmax_up_to": 0, "negatives": 20, **two_tower}})  # fmt: skip
        model, events, pipeline, n_rows = _prepared(config)
        calls: list[dict[str, Any]] = []
        real_loss, real_candidates = recipe.sampled_multi_target_loss, recipe.batch_candidates

        def candidates_spy(split: HoldoutSplit, pool: np.ndarray) -> Any:
            calls.append({"split": split, "made": real_candidates(split, pool)})
            return calls[-1]["made"]

        def loss_spy(*args: Any) -> torch.Tensor:
            names = ["user", "vectors", "log_q", "example", "column", "seen", "temperature"]
            calls[-1].update(zip(names, args, strict=True))
            return real_loss(*args)

        monkeypatch.setattr(recipe, "batch_candidates", candidates_spy)
        monkeypatch.setattr(recipe, "sampled_multi_target_loss", loss_spy)
        observer = StepCount()
        recipe.train_two_tower(
            model, events, pipeline, config.two_tower, n_rows=n_rows,
            validate=lambda _: {"ndcg@10": 0.0}, observer=observer, seed=0,
            device=torch.device("cpu"),
        )  # fmt: skip
        return calls, observer.steps, (events, n_rows)

    def test_an_epoch_is_one_over_the_share_passes_over_the_users(self, monkeypatch) -> None:
        calls, steps, (events, _) = self._train(monkeypatch)
        users = np.unique(events.starts).shape[0]
        assert steps == 5 * -(-users // 16) == len(calls)  # holdout_share 0.2: 5 passes

    def test_each_users_own_posts_are_masked_and_log_q_corrects_every_logit(
        self, monkeypatch
    ) -> None:
        calls, _, (events, n_rows) = self._train(monkeypatch)
        positions = events.first_of_pairs()
        positions = positions[events.weights[positions] > 0]
        users = np.unique(events.starts[positions])
        per_step = targets_per_step(events, users, 0.2, n_rows, len(calls) // 5, seed=1)
        log_q = holdout_log_q(events.rows[positions], n_rows, per_step, 20)
        for call in calls:
            made = call["made"]
            assert call["vectors"].shape[0] == made.rows.shape[0]
            np.testing.assert_array_equal(call["example"].numpy(), made.target_example)
            np.testing.assert_array_equal(call["column"].numpy(), made.target_column)
            np.testing.assert_array_equal(call["seen"].numpy(), made.seen)
            assert made.seen.any()  # users' other posts are among the candidates, masked
            n_users = call["user"].shape[0]
            assert np.unique(made.target_example).shape[0] == n_users  # each has a target
            np.testing.assert_allclose(call["log_q"].numpy(), log_q[made.rows], rtol=1e-6)
            assert (call["log_q"].numpy() < 0).all()
            # the pool: candidates beyond the batch's targets
            assert made.rows.shape[0] > np.unique(call["split"].target_rows).shape[0]

    def test_off_falls_back_to_one_set_example_per_event(self, monkeypatch) -> None:
        calls, steps, (events, _) = self._train(monkeypatch, sampled_holdout=False)
        positions = events.first_of_pairs()
        assert not calls
        assert steps == -(-int((events.weights[positions] > 0).sum()) // 16)
