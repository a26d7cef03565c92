"""NDCG@10 of two-tower fits' scores averaged, what one model serving their concatenated user and
post vectors would rank by: reads the npz of `bench/two_tower_variants.py --save-scores` (the
same split, seeds differing) and prints, for validation and test, each fit alone, every pair
and all of them averaged.

    python bench/score_average.py var/bias-0.npz var/bias-1.npz var/bias-2.npz
"""

from __future__ import annotations

import argparse
from itertools import combinations
from pathlib import Path

import numpy as np
from cold_posts import ndcg  # bench/ is the script's folder: run from anywhere


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scores", type=Path, nargs="+", help="npz files of one split")
    args = parser.parse_args()
    fits = [np.load(path) for path in args.scores]
    for part in ("valid", "test"):
        truth, seen = fits[0][f"{part}_truth"], fits[0][f"{part}_seen"]
        if any((fit[f"{part}_truth"] != truth).any() for fit in fits):
            raise SystemExit(f"{part}: the files are not of one split")
        no_cold = np.zeros(truth.shape[1], dtype=bool)
        for size in range(1, len(fits) + 1):
            for group in combinations(range(len(fits)), size):
                mean = np.mean([fits[i][f"{part}_scores"].astype(np.float64) for i in group], 0)
                names = " + ".join(args.scores[i].stem for i in group)
                print(f"{part:5s}  {names:40s}  ndcg@10 {ndcg(mean, seen, truth, no_cold)[0]:.4f}")


if __name__ == "__main__":
    main()
