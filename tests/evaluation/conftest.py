"""Small synthetic data for the evaluation tests: two taste groups, two halves of a catalogue."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from videorec.features.log import KIND_CODES, InteractionLog


def clustered_log(n_users: int = 60, n_items: int = 40, per_user: int = 12, seed: int = 0):
    """Users 0..n/2-1 like items 0..m/2-1, the others the second half; times increase."""
    rng = np.random.default_rng(seed)
    users, posts = [], []
    for u in range(n_users):
        half = 0 if u < n_users // 2 else 1
        pool = np.arange(half * n_items // 2, (half + 1) * n_items // 2)
        chosen = rng.choice(pool, size=per_user, replace=False)
        users += [u + 1] * per_user
        posts += (chosen + 100).tolist()
    n = len(users)
    return InteractionLog(
        user_ids=np.asarray(users, np.int64),
        post_ids=np.asarray(posts, np.int64),
        kinds=np.full(n, KIND_CODES["view"], np.int8),
        ratings=np.full(n, np.nan, np.float32),
        timestamps=1_700_000_000 + rng.permutation(n).astype(np.int64) * 60,
    )


def block_matrix(n_users: int = 20, n_items: int = 10, seed: int = 0) -> sp.csr_matrix:
    """Binary matrix: the first half of users use the first half of items, each 4 of 5 of them."""
    rng = np.random.default_rng(seed)
    dense = np.zeros((n_users, n_items), np.float32)
    for u in range(n_users):
        block = range(0, n_items // 2) if u < n_users // 2 else range(n_items // 2, n_items)
        keep = rng.choice(list(block), size=len(block) - 1, replace=False)
        dense[u, keep] = 1.0
    return sp.csr_matrix(dense)


@pytest.fixture
def socialverse_dir(tmp_path: Path) -> Path:
    """A directory in the Socialverse dump shapes (view/like/rating.json, posts.json)."""
    log = clustered_log()
    stamp = [
        datetime.fromtimestamp(int(t), UTC).strftime("%Y-%m-%d %H:%M:%S") for t in log.timestamps
    ]
    rows = list(zip(log.user_ids.tolist(), log.post_ids.tolist(), stamp, strict=True))
    views = [
        {"id": i, "post_id": p, "user_id": u, "viewed_at": t} for i, (u, p, t) in enumerate(rows)
    ]
    likes = [
        {"id": i, "post_id": p, "user_id": u, "liked_at": t}
        for i, (u, p, t) in enumerate(rows)
        if i % 3 == 0
    ]
    ratings = [
        {"id": 1, "post_id": 100, "user_id": 1, "rating_percent": 90, "rated_at": stamp[0]},
        {"id": 2, "post_id": 139, "user_id": 1, "rating_percent": 10, "rated_at": stamp[1]},
    ]
    (tmp_path / "view.json").write_text(json.dumps(views))
    (tmp_path / "like.json").write_text(json.dumps(likes))
    (tmp_path / "rating.json").write_text(json.dumps(ratings))
    (tmp_path / "posts.json").write_text(json.dumps([{"id": 100 + i} for i in range(45)]))
    return tmp_path
