from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from videorec.evaluation import metrics
from videorec.evaluation.baselines.als import Als
from videorec.evaluation.baselines.base import Recommender
from videorec.evaluation.baselines.ease import Ease
from videorec.evaluation.baselines.itemknn import ItemKNN
from videorec.evaluation.baselines.popularity import Popularity
from videorec.evaluation.blend import Blend, standardise

from .conftest import block_matrix


def _top1_in_own_block(model: Recommender, train: sp.csr_matrix) -> float:
    """Share of users whose best unseen item lies in their own block."""
    users = np.arange(train.shape[0])
    top = metrics.top_k(model.scores(users), train, 1)[:, 0]
    own = np.where(
        users < train.shape[0] // 2, top < train.shape[1] // 2, top >= train.shape[1] // 2
    )
    return float(own.mean())


class TestPersonalisedBaselines:
    @pytest.mark.parametrize(
        "model",
        [ItemKNN(k=5, shrink=1.0), Ease(lam=1.0), Als(factors=4, regularization=0.1, alpha=5.0)],
        ids=["item-knn", "ease", "als"],
    )
    def test_recommends_the_missing_item_of_the_users_block(self, model: Recommender):
        train = block_matrix()
        model.fit(train)
        assert model.scores(np.arange(3)).shape == (3, 10)
        assert _top1_in_own_block(model, train) == 1.0


class TestPopularity:
    def test_ranks_by_training_users(self):
        train = sp.csr_matrix(np.array([[1, 1, 0], [0, 1, 0], [0, 1, 1]], np.float32))
        model = Popularity()
        model.fit(train)
        assert model.scores(np.array([0, 2])).tolist() == [[1, 3, 1], [1, 3, 1]]


class TestItemKNN:
    def test_keeps_only_k_neighbours_per_item(self):
        model = ItemKNN(k=2, shrink=0.0)
        model.fit(block_matrix())
        assert (np.diff(model.similarity.tocsc().indptr) <= 2).all()


class TestBlend:
    def test_standardise_gives_zero_mean_unit_std_rows(self):
        z = standardise(np.array([[1.0, 2.0, 3.0], [5.0, 5.0, 5.0]]))
        assert z[0].mean() == pytest.approx(0.0, abs=1e-6)
        assert z[0].std() == pytest.approx(1.0)
        assert z[1].tolist() == [0.0, 0.0, 0.0]

    def test_learning_moves_weight_to_the_useful_source(self):
        train = block_matrix(seed=1)
        full = sp.csr_matrix(np.kron(np.eye(2), np.ones((10, 5))).astype(np.float32))
        valid = (full - train).tocsr()
        valid.eliminate_zeros()
        pop, ease = Popularity(), Ease(lam=1.0)
        pop.fit(train)
        ease.fit(train)
        blend = Blend([pop, ease])
        before = metrics.accuracy(metrics.top_k(blend.scores(np.arange(20)), train, 1), valid, 1)
        blend.learn(train, valid)
        after = metrics.accuracy(metrics.top_k(blend.scores(np.arange(20)), train, 1), valid, 1)
        assert blend.describe()["ease"] > 0
        assert after["hr"].mean() == 1.0 > before["hr"].mean()
