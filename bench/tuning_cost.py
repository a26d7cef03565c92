"""What `training/serving_extras` pays to tune a neighbour list: validation scoring of every user
against a 2,000-user sample (`tuning_users`), one EASE grid point, same run; with `--lists`, the
whole tuning of the three lists as `fit_neighbour_lists` runs it (grids with shared pieces, EASE's
lambda climbed), each model's time and the points it fitted.

    PYTHONPATH=src python bench/tuning_cost.py [--users 100000] [--posts 10000] [--lists]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp

from videorec.evaluation import tuning
from videorec.evaluation.baselines.base import Recommender
from videorec.evaluation.baselines.ease import Ease
from videorec.evaluation.scoring import measure
from videorec.training.serving_extras import LIST_NAMES, MAX_USERS, tuning_users


def synthetic(users: int, posts: int, per_user: int, seed: int) -> sp.csr_matrix:
    """Binary users x posts matrix, Zipf-distributed posts."""
    rng = np.random.default_rng(seed)
    cols = np.minimum(rng.zipf(1.3, size=users * per_user) - 1, posts - 1)
    rows = np.repeat(np.arange(users), per_user)
    matrix = sp.csr_matrix((np.ones(rows.size, np.float32), (rows, cols)), shape=(users, posts))
    matrix.data[:] = 1.0
    return matrix


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--lists", action="store_true", help="also time the whole list tuning")
    args = parser.parse_args()
    train = synthetic(args.users, args.posts, 5, seed=0)
    valid = synthetic(args.users, args.posts, 1, seed=1)
    start = time.perf_counter()
    model = Ease(lam=100.0)
    model.fit(train)
    fit_s = time.perf_counter() - start
    timings = {}
    for name, truth in (("sample", tuning_users(valid, MAX_USERS)), ("every user", valid)):
        start = time.perf_counter()
        measure(model, truth, train, train)
        timings[name] = time.perf_counter() - start
    print(f"{args.users:,} users x {args.posts:,} posts, EASE lambda 100, one grid point")
    print(f"  fit: {fit_s:.1f} s")
    print(f"  validation scoring, {MAX_USERS:,} sampled users: {timings['sample']:.1f} s")
    print(f"  validation scoring, every user: {timings['every user']:.1f} s")
    print(f"  ratio: {timings['every user'] / timings['sample']:.1f}x")
    if args.lists:
        lists(train, tuning_users(valid, MAX_USERS), fit_s)


class Counting:
    """A model factory that counts the models it makes (the grid points fitted)."""

    def __init__(self, factory: Callable[..., Recommender]) -> None:
        self.factory, self.calls = factory, 0

    def __call__(self, **kwargs: Any) -> Recommender:
        self.calls += 1
        return self.factory(**kwargs)


def lists(train: sp.csr_matrix, valid: sp.csr_matrix, ease_fit_s: float) -> None:
    """Each list model's tuning as `fit_neighbour_lists` runs it, with the points it fitted."""
    print("serving-list tuning (fit_neighbour_lists' calls):")
    for name in LIST_NAMES:
        factory = tuning.FACTORIES[name]
        counting = Counting(factory)
        tuning.FACTORIES[name] = counting
        start = time.perf_counter()
        tuned = tuning.tune(name, train, valid, climb=True)
        took = time.perf_counter() - start
        tuning.FACTORIES[name] = factory
        print(f"  {name}: {took:.1f} s, {counting.calls} of {len(tuning.GRIDS[name])} grid points, "
              f"best {tuned.params} (validation NDCG@10 {tuned.valid_score:.4f})")  # fmt: skip
    print(f"  EASE without the climb: 7 fits x {ease_fit_s:.1f} s = {7 * ease_fit_s:.0f} s")


if __name__ == "__main__":
    main()
