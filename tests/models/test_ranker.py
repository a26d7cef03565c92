"""Multi-task ranker: head shapes, a known value, the blend, and overfitting a tiny batch."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from tests.models.conftest import SIZES
from videorec.models import builders


def _model(table, dropout: float = 0.0):
    torch.manual_seed(0)
    return builders.ranker(table, **SIZES, dim=4, hidden=[8], dropout=dropout).eval()


USERS = torch.tensor([1, 0])
HISTORY = torch.tensor([[1, 2], [0, 0]])
WEIGHTS = torch.tensor([[1.0, 2.0], [0.0, 0.0]])
POSTS = torch.tensor([[3, 4, 5], [1, 0, 2]])


class TestRanker:
    def test_one_logit_per_head_and_a_rating_and_known_value(self, table) -> None:
        logits, rating = _model(table)(USERS, HISTORY, WEIGHTS, POSTS)
        assert logits.shape == (2, 3, 4)
        assert rating.shape == (2, 3)
        assert ((rating > 0) & (rating < 1)).all()
        torch.testing.assert_close(logits[0, 0, 0].item(), 0.03859827, atol=1e-5, rtol=0)
        torch.testing.assert_close(rating[0, 0].item(), 0.51778078, atol=1e-5, rtol=0)

    def test_blend_weights_the_heads(self, table) -> None:
        model = _model(table)
        logits = torch.zeros(1, 4)
        rating = torch.tensor([0.8])
        score = model.blend(logits, rating, torch.tensor([1.0, 0.0, 0.0, 0.0, 2.0]))
        torch.testing.assert_close(score, torch.tensor([0.5 + 1.6]))

    def test_overfits_a_tiny_batch(self, table) -> None:
        model = _model(table, dropout=0.0).train()
        target = torch.tensor([[[1.0, 1, 0, 0], [0, 0, 0, 0], [1, 0, 1, 1]],
                               [[0.0, 0, 0, 0], [1, 1, 1, 1], [1, 0, 0, 0]]])  # fmt: skip
        optimiser = torch.optim.Adam(model.parameters(), lr=0.05)
        for _ in range(80):
            logits, _ = model(USERS, HISTORY, WEIGHTS, POSTS)
            loss = F.binary_cross_entropy_with_logits(logits, target)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        assert loss.item() < 0.05
