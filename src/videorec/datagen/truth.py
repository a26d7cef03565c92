"""The hidden truth behind a generated data set, and the oracle that evaluation compares with.

A user's affinity for a post mixes their taste for the post's topic and for its mood:

    affinity(u, p) = w · topic_taste[u, topic(p)] + (1 - w) · mood_taste[u, mood(p)]

with each taste row scaled so its favourite is 1, so affinity lies in [0, 1]. The next post a
user picks is drawn with probability ∝ popularity(p)^a · exp(b · affinity(u, p)) among the posts
that exist at that moment; `oracle_relevance` returns that log-weight, the best possible score.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from videorec.errors import InvalidInput, NotFound

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

TRUTH_DIR = "truth"
ARRAYS_FILE = "truth.npz"
META_FILE = "meta.json"


@dataclass(frozen=True)
class TruthParams:
    """The scalars of the behaviour model (see the module docstring)."""

    popularity_weight: float
    taste_strength: float
    topic_weight: float
    like_strength: float
    inspire_strength: float
    rating_noise: float
    topic_names: tuple[str, ...]
    mood_names: tuple[str, ...]


@dataclass(frozen=True)
class Truth:
    """Everything the generator knows and the served files do not say.

    Attributes:
        user_ids: shape (n_users,), ascending upstream ids.
        topic_taste: shape (n_users, n_topics), each row a distribution (Dirichlet).
        mood_taste: shape (n_users, n_moods), each row a distribution (Dirichlet).
        active_from: shape (n_users,), epoch seconds when the user's activity window opens.
        active_to: shape (n_users,), epoch seconds when it closes.
        post_ids: shape (n_posts,), ascending upstream ids.
        post_topics: shape (n_posts,), index into `params.topic_names`.
        post_moods: shape (n_posts,), index into `params.mood_names`.
        popularity: shape (n_posts,), power-law weight in (0, 1].
        post_created_at: shape (n_posts,), epoch seconds.
        post_creators: shape (n_posts,), row index of the creating user.
        params: the behaviour model's scalars.
    """

    user_ids: IntArray
    topic_taste: FloatArray
    mood_taste: FloatArray
    active_from: IntArray
    active_to: IntArray
    post_ids: IntArray
    post_topics: IntArray
    post_moods: IntArray
    popularity: FloatArray
    post_created_at: IntArray
    post_creators: IntArray
    params: TruthParams

    def affinity_rows(self, users: IntArray, posts: IntArray) -> FloatArray:
        """Affinity of user rows × post rows, shape (len(users), len(posts)), in [0, 1]."""
        topic = self.topic_taste[users] / self.topic_taste[users].max(axis=1, keepdims=True)
        mood = self.mood_taste[users] / self.mood_taste[users].max(axis=1, keepdims=True)
        weight = self.params.topic_weight
        result: FloatArray = (
            weight * topic[:, self.post_topics[posts]]
            + (1.0 - weight) * mood[:, self.post_moods[posts]]
        )
        return result

    def affinity_pairs(self, users: IntArray, posts: IntArray) -> FloatArray:
        """Affinity of aligned (user row, post row) pairs, shape (n,)."""
        topic = self.topic_taste[users, self.post_topics[posts]]
        topic = topic / self.topic_taste.max(axis=1)[users]
        mood = self.mood_taste[users, self.post_moods[posts]] / self.mood_taste.max(axis=1)[users]
        weight = self.params.topic_weight
        return weight * topic + (1.0 - weight) * mood  # type: ignore[no-any-return]


def user_rows(truth: Truth, user_ids: npt.ArrayLike) -> IntArray:
    """Row indices of upstream user ids; raises `InvalidInput` for an unknown id."""
    return _rows(truth.user_ids, np.asarray(user_ids, dtype=np.int64), "user")


def post_rows(truth: Truth, post_ids: npt.ArrayLike) -> IntArray:
    """Row indices of upstream post ids; raises `InvalidInput` for an unknown id."""
    return _rows(truth.post_ids, np.asarray(post_ids, dtype=np.int64), "post")


def _rows(known: IntArray, ids: IntArray, what: str) -> IntArray:
    rows = np.searchsorted(known, ids)
    rows = np.minimum(rows, len(known) - 1)
    if len(ids) and not np.array_equal(known[rows], ids):
        missing = ids[known[rows] != ids][:5].tolist()
        raise InvalidInput(f"unknown {what} ids in the truth: {missing}")
    return rows.astype(np.int64)


def oracle_relevance(truth: Truth, user_ids: npt.ArrayLike, post_ids: npt.ArrayLike) -> FloatArray:
    """The true preference of each user for each post: higher is better.

    It is log(popularity^a · exp(b · affinity)), the log-odds weight with which the user picks
    the post next; ranking posts by it per user is the best possible ranking. It ignores time:
    exclude posts created after the moment you evaluate at, and posts the user already saw.

    Args:
        truth: the loaded truth.
        user_ids: shape (n_users,), upstream user ids.
        post_ids: shape (n_posts,), upstream post ids.

    Returns:
        shape (n_users, n_posts).
    """
    users, posts = user_rows(truth, user_ids), post_rows(truth, post_ids)
    params = truth.params
    log_pop = params.popularity_weight * np.log(truth.popularity[posts])
    return log_pop[None, :] + params.taste_strength * truth.affinity_rows(users, posts)


def oracle_ranking(
    truth: Truth, user_ids: npt.ArrayLike, post_ids: npt.ArrayLike, k: int
) -> IntArray:
    """The top-k of `post_ids` for each user by `oracle_relevance`, best first.

    Returns:
        shape (n_users, min(k, n_posts)), upstream post ids.
    """
    candidates = np.asarray(post_ids, dtype=np.int64)
    scores = oracle_relevance(truth, user_ids, candidates)
    k = min(k, len(candidates))
    top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    ranked: IntArray = candidates[top]
    return ranked


def save_truth(truth: Truth, out: Path, extra_meta: dict[str, Any]) -> list[Path]:
    """Write `out/truth/truth.npz` (arrays) and `out/truth/meta.json` (params and config)."""
    folder = out / TRUTH_DIR
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {k: v for k, v in vars(truth).items() if isinstance(v, np.ndarray)}
    np.savez(folder / ARRAYS_FILE, **arrays)  # type: ignore[arg-type]
    meta = {"params": asdict(truth.params), **extra_meta}
    (folder / META_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return [folder / ARRAYS_FILE, folder / META_FILE]


def load_truth(data_dir: Path) -> Truth:
    """Read the truth saved beside a generated data set (`data_dir/truth/`)."""
    folder = Path(data_dir) / TRUTH_DIR
    if not (folder / ARRAYS_FILE).exists():
        raise NotFound(f"no generated truth in {folder}; run `videorec generate` first")
    meta = json.loads((folder / META_FILE).read_text())
    raw = meta["params"]
    params = TruthParams(
        **{**raw, "topic_names": tuple(raw["topic_names"]), "mood_names": tuple(raw["mood_names"])}
    )
    with np.load(folder / ARRAYS_FILE) as arrays:
        return Truth(**{name: arrays[name] for name in arrays.files}, params=params)
