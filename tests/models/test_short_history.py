"""The short-history user tower: who it serves, and that everyone else is left as they were."""

from __future__ import annotations

import torch

from tests.models.conftest import SIZES
from videorec.models import builders
from videorec.models.short_history import ShortHistoryTower, UserTowers, user_vectors

# 0, 1, 2, 3 and 5 known events; row 0 inside a history is an unknown post, not an event
HISTORY = torch.tensor([
    [0, 0, 0, 0, 0],
    [0, 0, 0, 0, 3],
    [0, 0, 0, 2, 5],
    [0, 0, 1, 0, 4],  # 2 events and an unknown post
    [0, 0, 1, 2, 3],
    [1, 2, 3, 4, 5],
])  # fmt: skip
EVENTS = [0, 1, 2, 2, 3, 5]
USERS = torch.zeros(HISTORY.shape[0], dtype=torch.long)
WEIGHTS = torch.where(HISTORY > 0, 1.0, 0.0)


def _towers(table, max_events: int, **options: bool) -> tuple[torch.nn.Module, ShortHistoryTower]:
    torch.manual_seed(0)
    two_tower = builders.two_tower(table, **SIZES, dim=4, hidden=[8], out_dim=3, **options)
    two_tower = two_tower.eval()
    short = ShortHistoryTower(two_tower, max_events).eval()
    with torch.no_grad():  # a fine-tuned copy: different weights
        for param in short.parameters():
            param.add_(torch.randn_like(param))
    return two_tower, short


class TestDispatch:
    def test_histories_of_1_to_n_events_use_the_short_tower(self, table) -> None:
        two_tower, short = _towers(table, max_events=2)
        got = user_vectors(two_tower, short, USERS, HISTORY, WEIGHTS)
        with torch.no_grad():
            own = short(two_tower.user_inputs(USERS, HISTORY, WEIGHTS))
            warm = two_tower.user_vectors(USERS, HISTORY, WEIGHTS)
        for i, events in enumerate(EVENTS):
            want = own[i] if 1 <= events <= 2 else warm[i]
            other = warm[i] if 1 <= events <= 2 else own[i]
            assert torch.equal(got[i], want), (i, events)
            assert not torch.allclose(got[i], other), (i, events)

    def test_the_other_users_vectors_are_the_two_towers_bit_for_bit(self, table) -> None:
        two_tower, short = _towers(table, max_events=2)
        got = user_vectors(two_tower, short, USERS, HISTORY, WEIGHTS)
        warm = two_tower.user_vectors(USERS, HISTORY, WEIGHTS)
        assert torch.equal(got[[0, 4, 5]], warm[[0, 4, 5]])

    def test_a_threshold_of_0_or_no_tower_is_the_two_tower_alone(self, table) -> None:
        two_tower, short = _towers(table, max_events=0)
        warm = two_tower.user_vectors(USERS, HISTORY, WEIGHTS)
        assert torch.equal(user_vectors(two_tower, short, USERS, HISTORY, WEIGHTS), warm)
        assert torch.equal(user_vectors(two_tower, None, USERS, HISTORY, WEIGHTS), warm)
        short.set_max_events(1)
        assert short.takes(HISTORY).squeeze(1).tolist() == [e == 1 for e in EVENTS]

    def test_the_short_tower_reads_no_user_id_as_it_was_trained(self, table) -> None:
        # Fine-tuning feeds it the unknown user's row (0) only: a known user's trained id
        # embedding is an input it never saw, so it must get row 0 whoever the user is.
        two_tower, short = _towers(table, max_events=2)
        known = torch.tensor([1, 2, 3, 4, 1, 2])
        got = user_vectors(two_tower, short, known, HISTORY, WEIGHTS)
        as_unknown = user_vectors(two_tower, short, USERS, HISTORY, WEIGHTS)
        warm_own_id = two_tower.user_vectors(known, HISTORY, WEIGHTS)
        for i, events in enumerate(EVENTS):
            if 1 <= events <= 2:
                assert torch.equal(got[i], as_unknown[i]), (i, events)
            else:  # the two-tower keeps reading the id it was trained with
                assert torch.equal(got[i], warm_own_id[i]), (i, events)
                assert not torch.allclose(got[i], as_unknown[i]), (i, events)

    def test_the_module_form_is_the_same_function(self, table) -> None:
        two_tower, short = _towers(table, max_events=3)
        want = user_vectors(two_tower, short, USERS, HISTORY, WEIGHTS)
        assert torch.equal(UserTowers(two_tower, short)(USERS, HISTORY, WEIGHTS), want)

    def test_its_state_holds_the_copied_mlp_and_the_threshold_only(self, table) -> None:
        two_tower, short = _towers(table, max_events=2)
        keys = set(short.state_dict())
        assert keys == {"max_events"} | {f"user_mlp.{k}" for k in two_tower.user_mlp.state_dict()}
        fresh = ShortHistoryTower(two_tower, 0)
        fresh.load_state_dict(short.state_dict())
        assert int(fresh.get_buffer("max_events")) == 2


class TestPostBias:
    def test_both_towers_give_the_constant_bias_coordinate(self, table) -> None:
        two_tower, short = _towers(table, max_events=2, post_bias=True)
        with torch.no_grad():
            got = user_vectors(two_tower, short, USERS, HISTORY, WEIGHTS)
            own = short(two_tower.user_inputs(USERS, HISTORY, WEIGHTS))
        assert got.shape == (HISTORY.shape[0], 4)
        torch.testing.assert_close(got[:, 3], torch.ones(HISTORY.shape[0]))
        torch.testing.assert_close(own[:, 3], torch.ones(HISTORY.shape[0]))
