"""Where a fitted two-tower ranks the posts without training events, and what a constant added
to their scores (chosen on validation) would do: reads the npz of
`bench/two_tower_variants.py --save-scores`.

    python bench/cold_posts.py var/scores-0.npz [var/scores-1.npz ...]

On `demo` / `temporal` a fifth of the test period's positives are posts created after the
training cut (no training events): EASE scores them 0, the two-tower from their content.
Prints, for validation and test, NDCG@10, the share of top-10 slots on such posts and the share
of hits on them, for each offset (in units of the user's score standard deviation).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from videorec.evaluation.metrics import accuracy, hits, top_k

OFFSETS = (-np.inf, -1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 1.0)
K = 10


def ndcg(
    scores: npt.NDArray[np.float64],
    seen: npt.NDArray[np.bool_],
    truth: npt.NDArray[np.bool_],
    cold: npt.NDArray[np.bool_],
) -> tuple[float, float, float]:
    """NDCG@10 by the evaluation's own metric (`evaluation.metrics`: its top-k and NDCG), the
    share of top-10 slots on cold posts, and the share of hits that are cold posts."""
    top = top_k(scores, sp.csr_matrix(seen), K)
    truth_matrix = sp.csr_matrix(truth)
    value = float(accuracy(top, truth_matrix, K)["ndcg"].mean())
    hit = hits(top, truth_matrix)
    slots = float(cold[top].mean())
    return value, slots, float((hit & cold[top]).sum() / max(hit.sum(), 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args()
    for path in args.files:
        data = np.load(path)
        cold = data["train_events"] == 0
        print(f"{path}: {int(cold.sum())} of {cold.size} posts without training events")
        for part in ("valid", "test"):
            scores = data[f"{part}_scores"].astype(np.float64)
            seen, truth = data[f"{part}_seen"], data[f"{part}_truth"]
            known = np.where(seen | (scores < -1e8), np.nan, scores)
            spread = np.nanstd(known, axis=1, keepdims=True)
            share = float((truth & cold).sum() / truth.sum())
            print(f"  {part}: {truth.shape[0]} users, {share:.1%} of positives on those posts")
            for offset in OFFSETS:
                shifted = np.where(cold, scores + offset * spread, scores) if np.isfinite(
                    offset) else np.where(cold, -1e9, scores)  # fmt: skip
                value, slots, hit_share = ndcg(shifted, seen, truth, cold)
                print(f"    offset {offset:+5}: ndcg@10 {value:.4f}, top-10 slots on them "
                      f"{slots:.1%}, hits on them {hit_share:.1%}")  # fmt: skip


if __name__ == "__main__":
    main()
