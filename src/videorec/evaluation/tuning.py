"""Each baseline's hyper-parameter grid, searched on the validation split by NDCG@10.

| model | grid |
|---|---|
| popularity | none |
| item-knn | k in {100, 200, 400, 800} x shrink in {0, 10, 50} |
| ease | lambda in {50, 100, 200, 300, 500, 800, 1200} |
| als | factors {32, 64} x regularization {3, 10, 30, 60} x alpha {1, 2, 5, 10}; 15 iterations |
| rp3beta (a source of ours) | alpha 1.0, k 200, beta in {0.3, 0.5, 0.7} |

A grid shares what does not change along it: item-kNN's co-occurrence matrix (one for all 12
points) and RP3beta's two-step walk (one per alpha). `climb=True` walks EASE's ordered λ grid
from its middle towards the better neighbour and stops when the score falls: the full grid's
choice whenever the score is unimodal in λ, at 3-5 fits instead of 7 (each an inverse of an
items x items or users x users matrix: 87.5 s at 10,000 posts on 2 cores).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import scipy.sparse as sp

from videorec.evaluation.baselines.als import Als
from videorec.evaluation.baselines.base import Recommender
from videorec.evaluation.baselines.ease import Ease
from videorec.evaluation.baselines.itemknn import ItemKNN, items_cooccurrence
from videorec.evaluation.baselines.popularity import Popularity
from videorec.evaluation.baselines.rp3beta import RP3Beta, two_step_walk
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
CLIMBS = {"ease": "lam"}
"""Models whose grid is one ordered parameter that `climb` may walk."""


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
    *,
    climb: bool = False,
) -> Tuned:
    """Fit configurations of `name` on train; keep the best by validation NDCG@10.

    Every configuration of the grid, or with `climb` (models in `CLIMBS` only) those a walk from
    the middle of the grid, sorted by its parameter, visits until the score falls.
    """
    points = grid if grid is not None else GRIDS[name]
    assert points, "empty grid"
    shared: dict[Any, Any] = {}

    def fitted(params: Params) -> Tuned:
        kwargs = {**params, "seed": seed} if name == "als" else params
        model = FACTORIES[name](**kwargs)
        _fit(model, train, shared)
        return Tuned(model, params, measure(model, valid, train, train).values[TUNING_METRIC])

    if climb and name in CLIMBS:
        return _climb(sorted(points, key=lambda p: p[CLIMBS[name]]), fitted)
    return max((fitted(p) for p in points), key=lambda t: t.valid_score)


def _fit(model: Recommender, train: sp.csr_matrix, shared: dict[Any, Any]) -> None:
    """`model.fit(train)`, reusing what an earlier point of the same grid computed."""
    if isinstance(model, ItemKNN):
        if "co" not in shared:
            shared["co"] = items_cooccurrence(train)
        model.fit(train, cooccurrence=shared["co"])
    elif isinstance(model, RP3Beta):
        key = ("walk", model.alpha)
        if key not in shared:
            shared[key] = two_step_walk(train, model.alpha)
        model.fit(train, walk=shared[key])
    else:
        model.fit(train)


def _climb(points: list[Params], fitted: Callable[[Params], Tuned]) -> Tuned:
    """Hill-climb an ordered grid from its middle; a tie stops the walk where it is."""
    at = (len(points) - 1) // 2
    best = fitted(points[at])
    for step in (-1, 1):
        moved = False
        while 0 <= at + step < len(points):
            trial = fitted(points[at + step])
            if trial.valid_score <= best.valid_score:
                break
            best, at, moved = trial, at + step, True
        if moved:
            break
    return best
