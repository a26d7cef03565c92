"""Two-tower model and its in-batch sampled softmax loss."""

from __future__ import annotations

import math

import pytest
import torch

from tests.models.conftest import SIZES
from videorec.errors import ConfigurationError
from videorec.models import builders
from videorec.models.two_tower import (
    full_softmax_loss,
    multi_target_softmax_loss,
    sampled_multi_target_loss,
    sampled_softmax_loss,
)

USERS = torch.tensor([1, 0])
HISTORY = torch.tensor([[1, 2], [0, 0]])
WEIGHTS = torch.tensor([[1.0, -1.0], [0.0, 0.0]])


def _model(table, seed=0):
    torch.manual_seed(seed)
    return builders.two_tower(table, **SIZES, dim=4, hidden=[8], out_dim=3).eval()


class TestTwoTower:
    def test_unit_vectors_of_the_right_shape_and_known_value(self, table) -> None:
        users, posts = _model(table)(USERS, HISTORY, WEIGHTS, torch.tensor([3, 0]))
        assert users.shape == posts.shape == (2, 3)
        torch.testing.assert_close(users.norm(dim=-1), torch.ones(2))
        torch.testing.assert_close(users[0, 0].item(), -0.80741411, atol=1e-5, rtol=0)
        torch.testing.assert_close(posts[0, 0].item(), 0.51547742, atol=1e-5, rtol=0)

    def test_overfits_a_tiny_batch(self, table) -> None:
        model = _model(table, seed=1).train()  # seed 0 starts in a poor local minimum
        users, posts = torch.tensor([1, 2, 3, 4]), torch.tensor([1, 2, 3, 4])
        history = torch.tensor([[1, 0], [2, 0], [3, 0], [4, 0]])
        weights = torch.ones(4, 2)
        optimiser = torch.optim.Adam(model.parameters(), lr=0.05)
        log_q = torch.full((4,), math.log(0.25))
        for _ in range(60):
            u, p = model(users, history, weights, posts)
            loss = sampled_softmax_loss(u, p, posts, log_q, temperature=0.1)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        assert loss.item() < 0.05


class TestFullSoftmaxLoss:
    def test_known_value_over_the_whole_catalogue(self) -> None:
        users = torch.tensor([[1.0, 0.0]])
        catalogue = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
        none = torch.zeros(1, 3, dtype=torch.bool)
        loss = full_softmax_loss(users, catalogue, torch.tensor([0]), none, 1.0)
        expected = -math.log(math.e / (math.e + 1 + math.exp(-1)))
        torch.testing.assert_close(loss.item(), expected, atol=1e-6, rtol=0)

    def test_the_users_other_posts_are_not_negatives_but_the_target_counts(self) -> None:
        users = torch.tensor([[1.0, 0.0]])
        catalogue = torch.tensor([[1.0, 0.0], [1.0, 0.0], [-1.0, 0.0]])
        known = torch.tensor([[True, True, False]])  # the target (0) and another post (1)
        loss = full_softmax_loss(users, catalogue, torch.tensor([0]), known, 1.0)
        expected = -math.log(math.e / (math.e + math.exp(-1)))
        torch.testing.assert_close(loss.item(), expected, atol=1e-6, rtol=0)


class TestMultiTargetSoftmaxLoss:
    def test_mean_over_targets_of_one_softmax_without_the_history(self) -> None:
        users = torch.tensor([[1.0, 0.0]])
        catalogue = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [-1.0, 0.0]])
        targets = torch.tensor([[True, True, False, False]])
        seen = torch.tensor([[False, False, True, False]])  # post 2 is history: not a negative
        loss = multi_target_softmax_loss(users, catalogue, targets, seen, 1.0)
        total = math.e + 1 + math.exp(-1)
        expected = -(math.log(math.e / total) + math.log(1 / total)) / 2
        torch.testing.assert_close(loss.item(), expected, atol=1e-6, rtol=0)


class TestSampledSoftmaxLoss:
    def test_known_value_for_orthogonal_vectors(self) -> None:
        eye = torch.eye(2)
        loss = sampled_softmax_loss(eye, eye, torch.tensor([1, 2]), torch.zeros(2), 1.0)
        torch.testing.assert_close(loss.item(), math.log(1 + math.exp(-1)), atol=1e-6, rtol=0)

    def test_accidental_hits_are_not_negatives(self) -> None:
        users = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
        posts = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
        same = sampled_softmax_loss(users, posts, torch.tensor([7, 7]), torch.zeros(2), 1.0)
        assert same.item() < 1e-6

    def test_log_q_is_subtracted_from_every_logit_of_its_post(self) -> None:
        # logits = u.p - log q: row 0 [1, -2] (target 0), row 1 [0, -1] (target 1).
        users, posts = torch.eye(2), torch.eye(2)
        loss = sampled_softmax_loss(
            users, posts, torch.tensor([1, 2]), torch.tensor([0.0, 2.0]), 1.0
        )
        expected = (math.log(1 + math.exp(-3)) + math.log(1 + math.exp(1))) / 2
        torch.testing.assert_close(loss.item(), expected, atol=1e-6, rtol=0)

    def test_uniform_pool_negatives_with_their_own_log_q(self) -> None:
        # One user, positive post [1, 0] (log q 0); pool: post 5 [0, 1] (log q -1), post 9 =
        # the positive itself (an accidental hit, never a negative). Logits [1, 0 + 1].
        user, post = torch.tensor([[1.0, 0.0]]), torch.tensor([[1.0, 0.0]])
        pool = (
            torch.tensor([[0.0, 1.0], [1.0, 0.0]]),
            torch.tensor([5, 9]),
            torch.tensor([-1.0, 0.0]),
        )
        loss = sampled_softmax_loss(user, post, torch.tensor([9]), torch.zeros(1), 1.0, pool)
        torch.testing.assert_close(loss.item(), math.log(2), atol=1e-6, rtol=0)


class TestUserTower:
    def test_id_tables_start_small(self, table) -> None:
        model = _model(table)
        for weights in (model.users.weight, model.encoder.ids.weight):
            assert 0.005 < weights.std().item() < 0.02

    def test_init_std_sets_the_id_tables_scale(self, table) -> None:
        model = builders.two_tower(table, **SIZES, dim=4, hidden=[8], out_dim=3, init_std=0.1)
        for weights in (model.users.weight, model.encoder.ids.weight):
            assert 0.05 < weights.std().item() < 0.2

    def test_dot_similarity_keeps_the_vectors_norms(self, table) -> None:
        torch.manual_seed(0)
        model = builders.two_tower(table, **SIZES, dim=4, hidden=[8], out_dim=3, normalize=False)
        users, posts = model.eval()(USERS, HISTORY, WEIGHTS, torch.tensor([3, 0]))
        assert not torch.allclose(users.norm(dim=-1), torch.ones(2))
        assert not torch.allclose(posts.norm(dim=-1), torch.ones(2))

    def test_without_a_user_id_the_history_alone_decides(self, table) -> None:
        torch.manual_seed(0)
        model = builders.two_tower(table, **SIZES, dim=4, hidden=[8], out_dim=3, user_id=False)
        model.eval()
        history, weights = torch.tensor([[1, 2], [1, 2]]), torch.ones(2, 2)
        vectors = model.user_vectors(torch.tensor([1, 4]), history, weights)
        torch.testing.assert_close(vectors[0], vectors[1])
        other = model.user_vectors(torch.tensor([1]), torch.tensor([[3, 4]]), weights[:1])
        assert not torch.allclose(vectors[0], other[0])

    def test_sasrec_reads_the_order_and_handles_empty_histories(self, table) -> None:
        torch.manual_seed(0)
        model = builders.two_tower(
            table, **SIZES, dim=4, hidden=[8], out_dim=4, user_encoder="sasrec",
            history_length=3, heads=2,
        ).eval()  # fmt: skip
        users = torch.tensor([1, 1, 2])
        history = torch.tensor([[1, 2, 3], [3, 2, 1], [0, 0, 0]])
        weights = torch.tensor([[1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [0.0, 0.0, 0.0]])
        vectors = model.user_vectors(users, history, weights)
        assert vectors.shape == (3, 4)
        assert model.sequence is not None
        assert model.sequence.out_dim == 4  # attention at out_dim wide
        assert torch.isfinite(vectors).all()
        assert not torch.allclose(vectors[0], vectors[1])


def _sasrec(table, layers=2):
    torch.manual_seed(0)
    return builders.two_tower(
        table, **SIZES, dim=4, hidden=[8], out_dim=4, user_encoder="sasrec",
        history_length=4, layers=layers, heads=2,
    ).eval()  # fmt: skip


class TestSasrecCausalPass:
    HISTORY = torch.tensor([[0, 1, 2, 3], [4, 3, 2, 1]])
    WEIGHTS = torch.tensor([[0.0, 1.0, 1.0, -1.0], [1.0, 1.0, 1.0, 1.0]])

    def test_a_later_event_never_changes_an_earlier_slot(self, table) -> None:
        model = _sasrec(table)
        users = torch.tensor([0, 0])
        before = model.every_slot_user_vectors(users, self.HISTORY, self.WEIGHTS)
        later = self.HISTORY.clone()
        later[:, 2] = 5
        after = model.every_slot_user_vectors(users, later, self.WEIGHTS)
        torch.testing.assert_close(after[:, :2], before[:, :2])
        assert not torch.allclose(after[:, 2:], before[:, 2:])  # the change is seen from slot 2

    def test_padding_changes_no_slot_and_the_last_slot_is_the_user_vector(self, table) -> None:
        model = _sasrec(table)
        users = torch.tensor([0, 0])
        slots = model.every_slot_user_vectors(users, self.HISTORY, self.WEIGHTS)
        padded = self.HISTORY.clone()
        padded[0, 0] = 5  # weight 0: still padding, whatever row it names
        other = model.every_slot_user_vectors(users, padded, self.WEIGHTS)
        torch.testing.assert_close(other[0, 1:], slots[0, 1:])
        torch.testing.assert_close(slots[:, -1], model.user_vectors(users, self.HISTORY,
                                                                     self.WEIGHTS))  # fmt: skip
        empty = model.user_vectors(users, torch.zeros_like(self.HISTORY),
                                   torch.zeros_like(self.WEIGHTS))  # fmt: skip
        assert torch.isfinite(empty).all()


class TestSampledMultiTargetLoss:
    """The sampled holdout loss: seen candidates masked, targets kept, logQ subtracted."""

    USER = torch.tensor([[1.0, 0.0]])
    CANDIDATES = torch.tensor([[1.0, 0.0], [5.0, 0.0], [0.0, 1.0]])
    TARGET = (torch.tensor([0]), torch.tensor([0]))  # user 0, candidate 0
    SEEN = torch.tensor([[False, True, False]])

    def test_known_value_with_log_q_and_a_seen_candidate(self) -> None:
        # logits u.c - log q = [1 - 0, (seen), 0 - 1]
        log_q = torch.tensor([0.0, 0.0, 1.0])
        loss = sampled_multi_target_loss(
            self.USER, self.CANDIDATES, log_q, *self.TARGET, self.SEEN, 1.0
        )
        expected = -math.log(math.e / (math.e + math.exp(-1)))
        torch.testing.assert_close(loss.item(), expected, atol=1e-6, rtol=0)

    def test_temperature_divides_the_similarities_not_the_correction(self) -> None:
        log_q = torch.tensor([0.0, 0.0, 1.0])
        loss = sampled_multi_target_loss(
            self.USER, self.CANDIDATES, log_q, *self.TARGET, self.SEEN, 0.5
        )
        expected = -math.log(math.exp(2) / (math.exp(2) + math.exp(-1)))
        torch.testing.assert_close(loss.item(), expected, atol=1e-6, rtol=0)

    def test_seen_mask_and_log_q_each_change_the_loss(self) -> None:
        zero_q = torch.zeros(3)
        masked = sampled_multi_target_loss(
            self.USER, self.CANDIDATES, zero_q, *self.TARGET, self.SEEN, 1.0
        )
        unmasked = sampled_multi_target_loss(
            self.USER, self.CANDIDATES, zero_q, *self.TARGET, self.SEEN & False, 1.0
        )
        assert unmasked.item() > masked.item() + 1.0  # the seen post would dominate
        corrected = sampled_multi_target_loss(
            self.USER, self.CANDIDATES, torch.tensor([0.0, 0.0, 1.0]), *self.TARGET, self.SEEN,
            1.0,
        )  # fmt: skip
        assert corrected.item() < masked.item() - 0.1

    def test_equals_the_full_multi_target_loss_on_the_same_columns(self) -> None:
        # two users, four candidates; user 0: targets 0 and 2 (each in the other's softmax),
        # seen 1; user 1: target 3, seen 0
        torch.manual_seed(0)
        users, candidates = torch.randn(2, 3), torch.randn(4, 3)
        targets = torch.tensor([[True, False, True, False], [False, False, False, True]])
        seen = torch.tensor([[False, True, False, False], [True, False, False, False]])
        example, column = torch.nonzero(targets, as_tuple=True)
        sampled = sampled_multi_target_loss(
            users, candidates, torch.zeros(4), example, column, seen, 0.7
        )
        full = multi_target_softmax_loss(users, candidates, targets, seen, 0.7)
        torch.testing.assert_close(sampled, full)


class TestHistoryIds:
    def _model(self, table, **kwargs):
        torch.manual_seed(0)
        return builders.two_tower(
            table, **SIZES, dim=4, hidden=[8], out_dim=3, user_id=False, history_ids=True,
            **kwargs,
        ).eval()  # fmt: skip

    def test_the_user_side_id_table_moves_user_vectors_not_post_vectors(self, table) -> None:
        model = self._model(table)
        history, weights, posts = torch.tensor([[1, 2]]), torch.ones(1, 2), torch.arange(6)
        before_users = model.user_vectors(torch.tensor([0]), history, weights)
        before_posts = model.post_vectors(posts)
        with torch.no_grad():
            model.history_ids.weight[2] += 1.0
        after_users = model.user_vectors(torch.tensor([0]), history, weights)
        assert not torch.allclose(before_users, after_users)
        torch.testing.assert_close(model.post_vectors(posts), before_posts)

    def test_a_post_outside_the_history_changes_nothing(self, table) -> None:
        model = self._model(table)
        history, weights = torch.tensor([[1, 2, 0]]), torch.tensor([[1.0, 2.0, 0.0]])
        before = model.user_vectors(torch.tensor([0]), history, weights)
        with torch.no_grad():
            model.history_ids.weight[3] += 1.0
            model.history_ids.weight[0] += 1.0  # padding: weight 0
        torch.testing.assert_close(model.user_vectors(torch.tensor([0]), history, weights), before)

    def test_frozen_encodings_give_the_same_user_vectors(self, table) -> None:
        model = self._model(table)
        history, weights = torch.tensor([[1, 2], [3, 0]]), torch.tensor([[1.0, -1.0], [2.0, 0.0]])
        fresh = model.user_vectors(torch.tensor([0, 0]), history, weights)
        model.encoder.freeze()
        frozen = model.user_vectors(torch.tensor([0, 0]), history, weights)
        torch.testing.assert_close(frozen, fresh)

    def test_sparse_table_gets_sparse_gradients_on_history_rows_only(self, table) -> None:
        model = self._model(table, sparse=True).train()
        users = model.user_vectors(torch.tensor([0]), torch.tensor([[1, 4]]), torch.ones(1, 2))
        users.sum().backward()
        grad = model.history_ids.weight.grad
        assert grad is not None
        assert grad.is_sparse
        assert sorted(grad.coalesce().indices()[0].tolist()) == [1, 4]

    def test_refused_with_the_sasrec_user_encoder(self, table) -> None:
        with pytest.raises(ConfigurationError, match="pool"):
            self._model(table, user_encoder="sasrec", heads=1)

    def test_off_by_default(self, table) -> None:
        assert _model(table).history_ids is None


class TestPostBias:
    def _model(self, table, **kwargs):
        torch.manual_seed(0)
        return builders.two_tower(
            table, **SIZES, dim=4, hidden=[8], out_dim=3, user_id=False, post_bias=True,
            **kwargs,
        ).eval()  # fmt: skip

    def test_inner_products_are_the_similarity_plus_the_post_bias(self, table) -> None:
        model = self._model(table, normalize=False)
        with torch.no_grad():
            model.post_bias.weight.copy_(torch.arange(6.0).unsqueeze(1) / 10)
        users = model.user_vectors(torch.tensor([0]), torch.tensor([[1, 2]]), torch.ones(1, 2))
        posts = model.post_vectors(torch.arange(6))
        assert users.shape == (1, 4)
        assert posts.shape == (6, 4)
        torch.testing.assert_close(users[:, 3], torch.ones(1))
        expected = users[:, :3] @ posts[:, :3].T + torch.arange(6.0) / 10
        torch.testing.assert_close(users @ posts.T, expected)

    def test_the_bias_moves_only_its_own_post(self, table) -> None:
        model = self._model(table)
        history, weights, posts = torch.tensor([[1, 2]]), torch.ones(1, 2), torch.arange(6)
        users = model.user_vectors(torch.tensor([0]), history, weights)
        before = users @ model.post_vectors(posts).T
        with torch.no_grad():
            model.post_bias.weight[4] += 0.5
        after = users @ model.post_vectors(posts).T
        torch.testing.assert_close(after - before, torch.eye(6)[4].unsqueeze(0) * 0.5)
        torch.testing.assert_close(model.user_vectors(torch.tensor([0]), history, weights), users)

    def test_zero_at_the_start_and_unit_similarity_kept_under_cosine(self, table) -> None:
        model = self._model(table, normalize=True)
        posts = model.post_vectors(torch.arange(6))
        torch.testing.assert_close(posts[:, 3], torch.zeros(6))
        torch.testing.assert_close(posts[:, :3].norm(dim=-1), torch.ones(6))

    def test_sparse_bias_gets_gradients_from_the_softmax(self, table) -> None:
        model = self._model(table, sparse=True).train()
        users = model.user_vectors(torch.tensor([0]), torch.tensor([[1, 4]]), torch.ones(1, 2))
        loss = full_softmax_loss(
            users, model.post_vectors(torch.arange(1, 6)), torch.tensor([2]),
            torch.zeros(1, 5, dtype=torch.bool), 1.0,
        )  # fmt: skip
        loss.backward()
        grad = model.post_bias.weight.grad
        assert grad is not None
        assert grad.is_sparse
        assert sorted(set(grad.coalesce().indices()[0].tolist())) == [1, 2, 3, 4, 5]

    def test_off_by_default(self, table) -> None:
        assert _model(table).post_bias is None
        assert _model(table).post_vectors(torch.arange(6)).shape == (6, 3)
