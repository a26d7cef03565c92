"""Two-tower model and its in-batch sampled softmax loss."""

from __future__ import annotations

import math

import torch

from tests.models.conftest import SIZES
from videorec.models import builders
from videorec.models.two_tower import sampled_softmax_loss

USERS = torch.tensor([1, 0])
HISTORY = torch.tensor([[1, 2], [0, 0]])
WEIGHTS = torch.tensor([[1.0, -1.0], [0.0, 0.0]])


def _model(table):
    torch.manual_seed(0)
    return builders.two_tower(table, **SIZES, dim=4, hidden=[8], out_dim=3).eval()


class TestTwoTower:
    def test_unit_vectors_of_the_right_shape_and_known_value(self, table) -> None:
        users, posts = _model(table)(USERS, HISTORY, WEIGHTS, torch.tensor([3, 0]))
        assert users.shape == posts.shape == (2, 3)
        torch.testing.assert_close(users.norm(dim=-1), torch.ones(2))
        torch.testing.assert_close(users[0, 0].item(), 0.36149448, atol=1e-5, rtol=0)
        torch.testing.assert_close(posts[0, 0].item(), -0.28631273, atol=1e-5, rtol=0)

    def test_overfits_a_tiny_batch(self, table) -> None:
        model = _model(table).train()
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

    def test_log_q_lowers_the_logit_of_popular_posts(self) -> None:
        users, posts = torch.eye(2), torch.eye(2)
        ids = torch.tensor([1, 2])
        plain = sampled_softmax_loss(users, posts, ids, torch.zeros(2), 1.0)
        popular_second = sampled_softmax_loss(users, posts, ids, torch.tensor([0.0, 2.0]), 1.0)
        assert popular_second.item() != plain.item()
