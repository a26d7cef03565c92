"""MLP, post encoder and pooled history: shapes and known values under a fixed seed."""

from __future__ import annotations

import torch

from tests.models.conftest import SIZES
from videorec.models import builders
from videorec.models.layers import MLP, weighted_pool


class TestMLP:
    def test_shape_and_known_value(self) -> None:
        torch.manual_seed(0)
        out = MLP(3, [4], 2, 0.0)(torch.ones(1, 3))
        assert out.shape == (1, 2)
        torch.testing.assert_close(out[0, 0].item(), -0.13384473, atol=1e-5, rtol=0)


class TestPostEncoder:
    def test_encodes_any_shape_of_rows(self, table) -> None:
        torch.manual_seed(0)
        encoder = builders.post_encoder(table, **_post_sizes(), dim=4)
        assert encoder(torch.tensor([[1, 2, 0], [5, 5, 3]])).shape == (2, 3, 24)

    def test_pool_equals_the_dense_weighted_mean(self, table) -> None:
        torch.manual_seed(0)
        encoder = builders.post_encoder(table, **_post_sizes(), dim=4)
        rows = torch.tensor([[1, 2, 2], [0, 0, 4]])
        weights = torch.tensor([[1.0, -1.0, 2.0], [0.0, 0.0, 3.0]])
        torch.testing.assert_close(
            encoder.pool(rows, weights), weighted_pool(encoder(rows), weights)
        )

    def test_pool_gradients_equal_the_dense_weighted_mean(self, table) -> None:
        # Training pools the text and dense columns before projecting them (`_pool_parts`):
        # every parameter's gradient, the Linear biases' included, must match.
        torch.manual_seed(0)
        encoder = builders.post_encoder(table, **_post_sizes(), dim=4, sparse=True)
        rows = torch.tensor([[1, 2, 2], [0, 3, 4], [5, 2, 0]])
        weights = torch.tensor([[1.0, -1.0, 2.0], [0.0, 0.5, 3.0], [0.0, -2.0, 0.0]])
        grads = []
        for pooled in (encoder.pool(rows, weights), weighted_pool(encoder(rows), weights)):
            encoder.zero_grad(set_to_none=True)
            pooled.square().sum().backward()
            grads.append({
                name: p.grad.to_dense() for name, p in encoder.named_parameters()
            })  # fmt: skip
        assert len(grads[0]) == 8  # four tables, two Linears
        for name, grad in grads[0].items():
            torch.testing.assert_close(grad, grads[1][name], msg=name)

    def test_frozen_pool_equals_the_training_pool(self, table) -> None:
        torch.manual_seed(0)
        encoder = builders.post_encoder(table, **_post_sizes(), dim=4)
        rows = torch.tensor([[1, 2, 2], [0, 3, 4]])
        weights = torch.tensor([[1.0, -1.0, 2.0], [0.0, 0.5, 3.0]])
        training = encoder.pool(rows, weights)
        encoder.eval().freeze()
        torch.testing.assert_close(encoder.pool(rows, weights), training)

    def test_empty_history_pools_to_zero(self, table) -> None:
        encoder = builders.post_encoder(table, **_post_sizes(), dim=4)
        pooled = encoder.pool(torch.zeros(2, 3, dtype=torch.long), torch.zeros(2, 3))
        assert torch.equal(pooled, torch.zeros(2, 24))


class TestFrozenEncodings:
    def test_loading_other_weights_drops_the_precomputed_encodings(self, table) -> None:
        # Early stopping restores the best weights with load_state_dict after the last epoch
        # froze the encodings: they must follow the restored weights.
        torch.manual_seed(0)
        encoder = builders.post_encoder(table, **_post_sizes(), dim=4).eval()
        best = {k: v.clone() for k, v in encoder.state_dict().items()}
        with torch.no_grad():
            encoder.ids.weight.add_(1.0)
        encoder.freeze()
        encoder.load_state_dict(best)
        rows = torch.arange(6)
        fresh = builders.post_encoder(table, **_post_sizes(), dim=4).eval()
        fresh.load_state_dict(best)
        torch.testing.assert_close(encoder(rows), fresh(rows))


def _post_sizes() -> dict[str, int]:
    return {k: v for k, v in SIZES.items() if k != "n_users"}
