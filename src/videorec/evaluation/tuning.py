"""Each baseline's hyper-parameter grid, searched on the validation split by NDCG@10.

| model | grid |
|---|---|
| popularity | none |
| item-knn | k in {100, 200, 400, 800} x shrink in {0, 10, 50} |
| ease | lambda in {50, 100, 200, 300, 500, 800, 1200} |
| als | factors {32, 64} x regularization {3, 10, 30, 60} x alpha {1, 2, 5, 10}; 15 iterations |
| rp3beta (a source of ours) | alpha 1.0, k 200, beta in {0.3, 0.5, 0.7} |
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import scipy.sparse as sp

from videorec.evaluation.baselines.als import Als
from videorec.evaluation.baselines.base import Recommender
from videorec.evaluation.baselines.ease import Ease
from videorec.evaluation.baselines.itemknn import ItemKNN
from videorec.evaluation.baselines.popularity import Popularity
from videorec.evaluation.baselines.rp3beta import RP3Beta
from videorec.evaluation.scoring import measure

Params = dict[str, Any]

FACTORIES: dict[str, Callable[..., Recommender]] = {
    "popularity": Popularity,
    "item-knn": ItemKNN,
    "ease": Ease,
    "als": Als,
    "rp3beta": RP3Beta,
}

GRIDS: dict[str, list[Params]] = {
    "popularity": [{}],
    "item-knn": [{"k": k, "shrink": s} for k in (100, 200, 400, 800) for s in (0.0, 10.0, 50.0)],
    "ease": [{"lam": lam} for lam in (50.0, 100.0, 200.0, 300.0, 500.0, 800.0, 1200.0)],
    "als": [
        {"factors": f, "regularization": r, "alpha": a}
        for f in (32, 64)
        for r in (3.0, 10.0, 30.0, 60.0)
        for a in (1.0, 2.0, 5.0, 10.0)
    ],
    "rp3beta": [{"alpha": 1.0, "beta": b, "k": 200} for b in (0.3, 0.5, 0.7)],
}

TUNING_METRIC = "ndcg@10"


@dataclass
class Tuned:
    """The best configuration of one model, fitted on train, and its validation score."""

    model: Recommender
    params: Params
    valid_score: float


def tune(
    name: str,
    train: sp.csr_matrix,
    valid: sp.csr_matrix,
    grid: list[Params] | None = None,
    seed: int = 0,
) -> Tuned:
    """Fit every configuration of `name` on train; keep the best by validation NDCG@10."""
    best: Tuned | None = None
    for params in grid if grid is not None else GRIDS[name]:
        kwargs = {**params, "seed": seed} if name == "als" else params
        model = FACTORIES[name](**kwargs)
        model.fit(train)
        score = measure(model, valid, train, train).values[TUNING_METRIC]
        if best is None or score > best.valid_score:
            best = Tuned(model, params, score)
    assert best is not None, "empty grid"
    return best
