"""SplitAdam: RowAdam (SparseAdam's update) for sparse id tables, AdamW for the rest."""

from __future__ import annotations

import math

import torch

from tests.models.conftest import SIZES, tiny_table
from videorec.models import builders
from videorec.models.two_tower import sampled_softmax_loss
from videorec.training.optim import DecayOnPlateau, RowAdam, SplitAdam

USERS = torch.tensor([1, 2, 3, 4])
POSTS = torch.tensor([1, 2, 3, 4])
HISTORY = torch.tensor([[1, 0], [2, 0], [3, 0], [4, 0]])


def _model(sparse: bool):
    torch.manual_seed(1)  # seed 0 starts the tiny overfitting batch in a poor local minimum
    return builders.two_tower(tiny_table(), **SIZES, dim=4, hidden=[8], out_dim=3, sparse=sparse)


def _loss(model) -> torch.Tensor:
    users, posts = model(USERS, HISTORY, torch.ones(4, 2), POSTS)
    return sampled_softmax_loss(users, posts, POSTS, torch.full((4,), math.log(0.25)), 0.1)


class TestSplitAdam:
    def test_sparse_id_tables_go_to_row_adam_and_the_rest_to_adamw(self) -> None:
        model = _model(sparse=True)
        sparse, dense = SplitAdam(model, lr=0.01).optimisers
        assert isinstance(sparse, RowAdam)
        assert isinstance(dense, torch.optim.AdamW)
        tables = {id(p) for group in sparse.param_groups for p in group["params"]}
        assert tables == {id(model.users.weight), id(model.encoder.ids.weight)}
        assert (
            sum(len(g["params"]) for g in dense.param_groups) == len(list(model.parameters())) - 2
        )

    def test_a_step_leaves_rows_the_batch_did_not_touch(self) -> None:
        model = _model(sparse=True)
        before = model.users.weight.detach().clone()
        optimiser = SplitAdam(model, lr=0.01)
        optimiser.zero_grad()
        _loss(model).backward()
        optimiser.step()
        changed = (model.users.weight.detach() != before).any(-1)
        assert changed.tolist() == [False, True, True, True, True]

    def test_sparse_tables_give_the_same_outputs_and_still_learn(self) -> None:
        dense, sparse = _model(sparse=False), _model(sparse=True)
        torch.testing.assert_close(_loss(sparse), _loss(dense))
        optimiser = SplitAdam(sparse.train(), lr=0.05)
        for _ in range(60):
            loss = _loss(sparse)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        assert loss.item() < 0.05


class TestRowAdam:
    def test_matches_sparse_adam_bit_for_bit(self) -> None:
        torch.manual_seed(0)
        ours, theirs = (torch.nn.Embedding(50, 4, sparse=True) for _ in range(2))
        theirs.load_state_dict(ours.state_dict())
        initial = ours.weight.detach().clone()
        row_adam = RowAdam(ours.parameters(), lr=0.03)
        sparse_adam = torch.optim.SparseAdam(theirs.parameters(), lr=0.03)
        for step in range(12):
            rows = torch.randint(0, 50 if step % 3 else 10, (40,))  # repeats, some rows idle
            scale = torch.randn(40, 4)
            for table, optimiser in ((ours, row_adam), (theirs, sparse_adam)):
                optimiser.zero_grad()
                (table(rows) * scale).square().sum().backward()
                optimiser.step()
        assert torch.equal(ours.weight, theirs.weight)
        assert not torch.equal(ours.weight, initial)
        state, reference = row_adam.state[ours.weight], sparse_adam.state[theirs.weight]
        assert torch.equal(state["exp_avg_sq"], reference["exp_avg_sq"])

    def test_skips_parameters_without_a_gradient(self) -> None:
        table = torch.nn.Embedding(5, 2, sparse=True)
        before = table.weight.detach().clone()
        RowAdam(table.parameters()).step()
        assert torch.equal(table.weight, before)


class TestDecayOnPlateau:
    def test_halves_the_learning_rate_after_each_run_of_stalled_epochs(self) -> None:
        model = torch.nn.Sequential(torch.nn.Embedding(5, 2, sparse=True), torch.nn.Linear(2, 1))
        optimiser = SplitAdam(model, lr=0.1)
        decay = DecayOnPlateau(optimiser, after=2)
        rates = []
        for ndcg in (0.1, 0.2, 0.15, 0.19, 0.18, 0.17, 0.3, 0.2):
            decay.observe({"ndcg@10": ndcg})
            rates.append([g["lr"] for o in optimiser.optimisers for g in o.param_groups])
        assert [r[0] for r in rates] == [0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.025]
        assert all(len(set(r)) == 1 for r in rates)

    def test_zero_never_decays(self) -> None:
        optimiser = SplitAdam(torch.nn.Linear(2, 1), lr=0.1)
        decay = DecayOnPlateau(optimiser, after=0)
        for _ in range(5):
            decay.observe({"ndcg@10": 0.0})
        assert optimiser.optimisers[0].param_groups[0]["lr"] == 0.1
