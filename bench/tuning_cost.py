"""What `training/serving_extras` pays to tune a neighbour list: validation scoring of every user
against a 2,000-user sample (`tuning_users`), one EASE grid point, same run.

    PYTHONPATH=src python bench/tuning_cost.py [--users 100000] [--posts 10000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.sparse as sp

from videorec.evaluation.baselines.ease import Ease
from videorec.evaluation.scoring import measure
from videorec.training.serving_extras import MAX_USERS, tuning_users


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


if __name__ == "__main__":
    main()
