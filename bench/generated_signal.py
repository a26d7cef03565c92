"""Is the generated signal learnable? NDCG@10 on future events: popularity vs item-kNN vs oracle.

    python bench/generated_signal.py [--users 2000 --posts 5000 --interactions 200000 --seed 42]

Generates a set into a temp folder, splits all four logs at the 80% time quantile, and ranks
every post not seen in training for each test user who has training history. Relevant = any
event on the post in the test period. Item-kNN is cosine over binary user-post training events.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from videorec.datagen import GeneratorConfig, generate, load_truth, oracle_relevance
from videorec.datagen.writers import TIME_KEYS
from videorec.logging import configure_logging


def read_events(folder: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    users, posts, stamps = [], [], []
    for kind, key in TIME_KEYS.items():
        for row in json.loads((folder / f"{kind}.json").read_text()):
            users.append(row["user_id"])
            posts.append(row["post_id"])
            stamps.append(row[key])
    return np.array(users), np.array(posts), np.array(stamps, dtype="datetime64[s]")


def ndcg_at_10(scores: np.ndarray, seen: np.ndarray, relevant: set[int]) -> float:
    scores = scores.astype(np.float64).copy()
    scores[seen] = -np.inf
    top = np.argsort(-scores)[:10]
    dcg = sum(1 / np.log2(i + 2) for i, p in enumerate(top.tolist()) if p in relevant)
    ideal = sum(1 / np.log2(i + 2) for i in range(min(10, len(relevant))))
    return dcg / ideal


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    for name, default in (
        ("users", 2000),
        ("posts", 5000),
        ("interactions", 200_000),
        ("seed", 42),
    ):
        parser.add_argument(f"--{name}", type=int, default=default)
    args = parser.parse_args()
    configure_logging("WARNING")
    out = Path(tempfile.mkdtemp(prefix="videorec-signal-"))
    generate(GeneratorConfig(args.users, args.posts, args.interactions, args.seed), out)
    truth = load_truth(out)
    users, posts, stamps = read_events(out)
    shutil.rmtree(out)
    u = np.searchsorted(truth.user_ids, users)
    p = np.searchsorted(truth.post_ids, posts)
    train = stamps < np.sort(stamps)[int(len(stamps) * 0.8)]
    shape = (len(truth.user_ids), len(truth.post_ids))
    matrix = sp.csr_matrix((np.ones(train.sum()), (u[train], p[train])), shape=shape)
    matrix.data[:] = 1.0
    popularity = np.asarray(matrix.sum(axis=0)).ravel()
    normed = matrix.multiply(1 / np.sqrt(np.maximum(popularity, 1))).tocsr()
    similarity = (normed.T @ normed).tocsr()
    future: dict[int, set[int]] = {}
    for user, post in zip(u[~train].tolist(), p[~train].tolist(), strict=True):
        future.setdefault(user, set()).add(post)
    results: dict[str, list[float]] = {"popularity": [], "item-kNN": [], "oracle": []}
    cold = 0
    for user, relevant in future.items():
        seen = matrix[user].indices
        relevant = relevant - set(seen.tolist())
        if not len(seen):
            cold += 1
            continue
        if not relevant:
            continue
        knn = np.asarray(similarity[seen].sum(axis=0)).ravel()
        oracle = oracle_relevance(truth, truth.user_ids[[user]], truth.post_ids)[0]
        for name, scores in (("popularity", popularity), ("item-kNN", knn), ("oracle", oracle)):
            results[name].append(ndcg_at_10(scores, seen, relevant))
    print(f"test users with history: {len(results['oracle'])}, cold-start test users: {cold}")
    base = np.mean(results["popularity"])
    for name, values in results.items():
        score = float(np.mean(values))
        print(f"  NDCG@10 {name:10s} {score:.4f}  ({score / base:.2f}x popularity)")


if __name__ == "__main__":
    main()
