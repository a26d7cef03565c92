"""An ensemble of two-towers: one inner product is the mean of the members' scores, and the
short-history tower serves in the first member's coordinates."""

from __future__ import annotations

import pytest
import torch

from tests.models.conftest import SIZES
from videorec.models import builders
from videorec.models.ensemble import TwoTowerEnsemble, lead_tower, named_encoders
from videorec.models.short_history import ShortHistoryTower, user_vectors
from videorec.models.two_tower import TwoTower

HISTORY = torch.tensor([[0, 0, 0, 0, 3], [0, 0, 1, 2, 3], [1, 2, 3, 4, 5]])
USERS = torch.tensor([0, 1, 2])
WEIGHTS = torch.where(HISTORY > 0, 1.0, 0.0)
POSTS = torch.arange(6)


def _ensemble(table, members: int = 2, **options: bool) -> TwoTowerEnsemble:
    torch.manual_seed(0)
    built = builders.retrieval(table, members=members, **SIZES, dim=4, hidden=[8], out_dim=3,
                               **options)  # fmt: skip
    assert isinstance(built, TwoTowerEnsemble)
    return built.eval()


@pytest.mark.parametrize("options", [{}, {"post_bias": True}, {"normalize": False}])
def test_one_inner_product_is_the_mean_of_the_members_scores(table, options) -> None:
    ensemble = _ensemble(table, members=3, **options)
    with torch.no_grad():
        got = ensemble.user_vectors(USERS, HISTORY, WEIGHTS) @ ensemble.post_vectors(POSTS).T
        each = [m.user_vectors(USERS, HISTORY, WEIGHTS) @ m.post_vectors(POSTS).T
                for m in ensemble.towers]  # fmt: skip
    torch.testing.assert_close(got, torch.stack(each).mean(0))
    assert not torch.allclose(each[0], each[1])  # the members differ: a mean, not a copy


def test_vectors_are_the_members_side_by_side(table) -> None:
    ensemble = _ensemble(table)
    with torch.no_grad():
        posts = ensemble.post_vectors(POSTS)
        first = ensemble.towers[0].post_vectors(POSTS)
    assert posts.shape == (6, 6)
    assert torch.equal(posts[:, :3], first)


def test_one_member_is_a_plain_two_tower_and_the_lead_is_the_first(table) -> None:
    single = builders.retrieval(table, members=1, **SIZES, dim=4, hidden=[8], out_dim=3)
    assert isinstance(single, TwoTower)
    assert lead_tower(single) is single
    ensemble = _ensemble(table)
    assert lead_tower(ensemble) is ensemble.members[0]
    with pytest.raises(ValueError, match="at least two"):
        TwoTowerEnsemble([single])


def test_every_member_encoder_has_its_own_name(table) -> None:
    ensemble = _ensemble(table, members=3)
    names = [name for name, _ in named_encoders(ensemble, "two_tower")]
    assert names == ["two_tower", "two_tower.1", "two_tower.2"]
    encoders = [encoder for _, encoder in named_encoders(ensemble, "two_tower")]
    assert all(e is m.encoder for e, m in zip(encoders, ensemble.towers, strict=True))


def test_state_dict_round_trips_into_a_fresh_ensemble(table) -> None:
    ensemble = _ensemble(table)
    torch.manual_seed(9)
    fresh = builders.retrieval(table, members=2, **SIZES, dim=4, hidden=[8], out_dim=3).eval()
    fresh.load_state_dict(ensemble.state_dict())
    with torch.no_grad():
        assert torch.equal(fresh.post_vectors(POSTS), ensemble.post_vectors(POSTS))


class TestShortHistory:
    def _with_short(self, table) -> tuple[TwoTowerEnsemble, ShortHistoryTower]:
        ensemble = _ensemble(table)
        short = ShortHistoryTower(ensemble.lead, max_events=1).eval()
        with torch.no_grad():
            for param in short.parameters():
                param.add_(torch.randn_like(param))
        return ensemble, short

    def test_a_short_history_gets_the_first_members_short_vector_and_zeros(self, table) -> None:
        ensemble, short = self._with_short(table)
        with torch.no_grad():
            got = user_vectors(ensemble, short, USERS, HISTORY, WEIGHTS)
            own = short(ensemble.lead.user_inputs(USERS, HISTORY, WEIGHTS))
            warm = ensemble.user_vectors(USERS, HISTORY, WEIGHTS)
        assert got.shape == (3, 6)
        assert torch.equal(got[0, :3], own[0])
        assert torch.equal(got[0, 3:], torch.zeros(3))
        assert torch.equal(got[1:], warm[1:])

    def test_it_ranks_as_the_first_members_short_tower_alone(self, table) -> None:
        ensemble, short = self._with_short(table)
        with torch.no_grad():
            got = (
                user_vectors(ensemble, short, USERS, HISTORY, WEIGHTS)
                @ ensemble.post_vectors(POSTS).T
            )
            alone = user_vectors(ensemble.lead, short, USERS, HISTORY, WEIGHTS)
            want = alone @ ensemble.lead.post_vectors(POSTS).T
        torch.testing.assert_close(got[0], want[0])
