"""Tuning grids: shared pieces give the models an unshared fit gives, the climb finds the best."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from videorec.evaluation.baselines.ease import Ease, ease_precision
from videorec.evaluation.baselines.itemknn import ItemKNN
from videorec.evaluation.baselines.rp3beta import RP3Beta
from videorec.evaluation.tuning import Tuned, _climb, tune


def _random(n_users: int, n_items: int, seed: int = 0) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    return sp.csr_matrix((rng.random((n_users, n_items)) < 0.15).astype(np.float32))


def _direct_ease(train: sp.csr_matrix, lam: float) -> np.ndarray:
    gram = (train.T @ train).toarray().astype(np.float64) + lam * np.eye(train.shape[1])
    precision = np.linalg.inv(gram)
    weights = -precision / np.diag(precision)
    np.fill_diagonal(weights, 0.0)
    return weights


class TestEasePrecision:
    @pytest.mark.parametrize("shape", [(30, 70), (70, 30)], ids=["fewer-users", "fewer-items"])
    @pytest.mark.parametrize("lam", [1.0, 50.0])
    def test_b_equals_the_direct_inverse(self, shape: tuple[int, int], lam: float) -> None:
        train = _random(*shape)
        model = Ease(lam=lam)
        model.fit(train)
        np.testing.assert_allclose(model.weights, _direct_ease(train, lam), atol=1e-5)

    def test_the_users_form_is_the_inverse_of_the_regularised_gram(self) -> None:
        train = _random(20, 60, seed=3)
        gram = (train.T @ train).toarray().astype(np.float64) + 7.0 * np.eye(60)
        np.testing.assert_allclose(ease_precision(train, 7.0) @ gram, np.eye(60), atol=1e-9)


class TestSharedGrids:
    def test_item_knn_from_the_shared_cooccurrence_equals_its_own_fit(self) -> None:
        train, valid = _random(40, 25), _random(40, 25, seed=1)
        tuned = tune("item-knn", train, valid)
        alone = ItemKNN(**tuned.params)
        alone.fit(train)
        assert isinstance(tuned.model, ItemKNN)
        np.testing.assert_allclose(tuned.model.similarity.toarray(), alone.similarity.toarray())

    def test_rp3beta_sparse_walk_equals_the_dense_formula(self) -> None:
        train = _random(40, 25, seed=2)
        model = RP3Beta(alpha=0.8, beta=0.4, k=25)
        model.fit(train)
        x = train.toarray().astype(np.float64)
        p_ui = (x / np.maximum(x.sum(1, keepdims=True), 1)) ** 0.8
        item_deg = np.maximum(x.sum(0, keepdims=True), 1)
        dense = ((x / item_deg).T ** 0.8 @ p_ui) / item_deg**0.4
        np.fill_diagonal(dense, 0.0)
        np.testing.assert_allclose(model.similarity.toarray(), dense, rtol=1e-5, atol=1e-7)


class TestClimb:
    @pytest.mark.parametrize("peak", range(7))
    def test_finds_the_peak_of_a_unimodal_grid_with_fewer_fits(self, peak: int) -> None:
        points = [{"lam": float(i)} for i in range(7)]
        fits: list[float] = []

        def fitted(params: dict[str, float]) -> Tuned:
            fits.append(params["lam"])
            return Tuned(Ease(), params, -abs(params["lam"] - peak))

        assert _climb(points, fitted).params == {"lam": float(peak)}
        assert len(fits) <= 5

    def test_tune_with_climb_picks_the_full_grids_lambda(self) -> None:
        # validation NDCG@10 over the grid here: .161 .163 .166 .164 .163 .159 .158 (unimodal)
        train, valid = _random(200, 60, seed=4), _random(200, 60, seed=5)
        climbed = tune("ease", train, valid, climb=True)
        assert climbed.params == tune("ease", train, valid).params == {"lam": 200.0}
