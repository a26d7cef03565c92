"""bfloat16 autocast of the two-tower's training steps: where it applies, and float32 losses."""

from __future__ import annotations

import math

import pytest
import torch

from tests.models.conftest import SIZES, tiny_table
from videorec.models import builders
from videorec.models.two_tower import (
    full_softmax_loss,
    multi_target_softmax_loss,
    sampled_softmax_loss,
)
from videorec.training import precision
from videorec.training.precision import autocast, uses_bf16

CPU = torch.device("cpu")


class TestUsesBf16:
    def test_explicit_settings_win(self) -> None:
        assert uses_bf16(CPU, "bfloat16")
        assert not uses_bf16(CPU, "float32")

    @pytest.mark.parametrize("native", [True, False])
    def test_auto_follows_native_bfloat16_on_cpu(self, monkeypatch, native) -> None:
        monkeypatch.setattr(precision, "native_bf16", lambda: native)
        assert uses_bf16(CPU, "auto") is native


class TestBfloat16Steps:
    def test_towers_run_in_bfloat16_and_weights_and_gradients_stay_float32(self) -> None:
        torch.manual_seed(1)
        model = builders.two_tower(tiny_table(), **SIZES, dim=4, hidden=[8], out_dim=3)
        posts = torch.tensor([1, 2, 3, 4])
        history = torch.tensor([[1, 0], [2, 0], [3, 0], [4, 0]])
        with autocast(CPU, "bfloat16"):
            users, vectors = model(posts, history, torch.ones(4, 2), posts)
            loss = sampled_softmax_loss(
                users, vectors, posts, torch.full((4,), math.log(0.25)), 0.1
            )
        assert users.dtype == vectors.dtype == torch.bfloat16
        assert loss.dtype == torch.float32
        loss.backward()  # type: ignore[no-untyped-call]
        grads = [p.grad for p in model.parameters() if p.grad is not None]
        assert len(grads) > 5
        assert all(p.dtype == torch.float32 for p in model.parameters())
        assert all(g.dtype == torch.float32 for g in grads)

    def test_losses_compute_in_float32_under_autocast(self) -> None:
        # Without the losses' own float32 the logits would be bfloat16 products here.
        torch.manual_seed(0)
        users, posts, catalogue = torch.randn(4, 3), torch.randn(4, 3), torch.randn(6, 3)
        ids, log_q = torch.tensor([1, 2, 2, 5]), torch.randn(4)
        targets = torch.zeros(4, 6, dtype=torch.bool)
        targets[torch.arange(4), ids] = True
        known = torch.rand(4, 6) < 0.3
        pool = (catalogue, torch.arange(6), torch.randn(6))
        losses = [
            lambda: sampled_softmax_loss(users, posts, ids, log_q, 0.1, pool),
            lambda: full_softmax_loss(users, catalogue, ids, known, 0.1),
            lambda: multi_target_softmax_loss(users, catalogue, targets, known, 0.1),
        ]
        for loss in losses:
            plain = loss()
            with autocast(CPU, "bfloat16"):
                cast = loss()
            assert torch.equal(cast, plain)
