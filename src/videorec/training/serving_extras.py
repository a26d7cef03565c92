"""Train-time pieces of the served feed: item-to-item neighbour lists and the blend's weights.

1. **Neighbour lists** (the sources that win offline, made servable): EASE, RP3beta and item-kNN
   are tuned on the validation part (the evaluation's grids; EASE's λ by `tune(climb=True)`, 3-5
   fits instead of 7) and fitted on the training part (the tuned model is the served one);
   each post keeps its strongest neighbours by magnitude (`neighbours_per_post`: all of them up
   to 1,732 posts, so x_u · B is exact there; at least `NEIGHBOURS_PER_POST`). EASE, RP3beta
   and the dense item-kNN hold an items x items matrix (EASE inverts it: O(n^3) time, ~16 n^2 bytes;
   5,000 posts take seconds and 0.4 GB), so they run up to `DENSE_MAX_POSTS` posts. Beyond
   that only the sparse item-kNN runs (cosine from the sparse co-occurrence XᵀX, cost
   Σ_users events², memory ∝ co-occurring pairs).
2. **Weights** of every source and of the model, learned on the validation users by coordinate
   ascent on NDCG@10 + 0.25 Recall@50 (the offline blend's method), ranking each user's real
   candidate pool exactly as `/feed` does (`serving.ranking.gather` / `order`); a move must gain
   `MIN_GAIN` of the objective, and the blend found is kept only when blends learned on half
   the validation users beat the best single source on the other half by `BLEND_MARGIN_SE`
   standard errors (else that source alone is served), so validation noise does not set
   weights.

Both are saved beside the model (`serving/extras.py`); `/feed` uses them unless the config
says otherwise.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
import structlog
from threadpoolctl import threadpool_limits

from videorec.evaluation.baselines.base import Recommender
from videorec.evaluation.baselines.ease import Ease
from videorec.evaluation.baselines.itemknn import ItemKNN
from videorec.evaluation.baselines.rp3beta import RP3Beta
from videorec.evaluation.tuning import tune
from videorec.features.log import InteractionLog, PostCatalog
from videorec.features.signals import SignalWeights
from videorec.serving.candidates import default_sources
from videorec.serving.config import COLD, FeedConfig
from videorec.serving.extras import ServingExtras
from videorec.serving.index import Encoder, Matrix
from videorec.serving.ranking import Pool, weight_of
from videorec.serving.registry import PipelineState
from videorec.serving.scorer import FeedModel
from videorec.serving.state import build_state, request_pool
from videorec.training.split import split_by_user

log = structlog.get_logger(__name__)
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float32]

NEIGHBOURS_PER_POST = 400
"""The fewest neighbours a post keeps; small catalogues keep more (`neighbours_per_post`)."""
LIST_ENTRIES = 3_000_000
"""Entries a list may hold (24 MB): up to 1,732 posts a list is the whole matrix (x_u · B exact)."""
DENSE_MAX_POSTS = 15_000
"""The largest catalogue for EASE, RP3beta and the dense item-kNN (~3.6 GB for EASE at 15k)."""
WEIGHT_GRID = (0.0, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
ROUNDS = 2
MIN_GAIN = 0.005
"""A weight moves only when that raises the validation objective by this share: on
MovieLens-100k moves worth 0.001 of 0.415 there (item-kNN beside EASE) lost 0.002 NDCG@10 on
test."""
BLEND_MARGIN_SE = 2.0
"""A blend is served only when, learned on half the validation users, it beats the best single
source on the other half by this many standard errors of the per-user difference (else that
source alone is): on the Socialverse samples blends chosen by the objective alone, and even ones
2.6 standard errors ahead on the users they were learned on, lost to EASE on test."""
RECALL_WEIGHT = 0.25
MAX_USERS = 2000
"""Validation users sampled for weight learning."""
NEW_USER = -1
"""Cut-history users are served as id NEW_USER - id (see `new_user`)."""
LIST_NAMES = {"ease": "ease", "rp3beta": "rp3beta", "item-knn": "item_knn"}
"""Evaluation model name -> serving source name."""


@dataclass(frozen=True)
class Example:
    """One validation user: their candidate pool and the pool positions of their held-out posts."""

    pool: Pool
    hits: npt.NDArray[np.bool_]
    n_truth: int


@dataclass(frozen=True)
class NeighbourLists:
    """The tuned neighbour lists over `post_ids` and the parameters tuning chose."""

    post_ids: IntArray
    lists: dict[str, sp.csr_matrix]
    params: dict[str, Any]


def neighbour_lists(
    train: InteractionLog, valid: InteractionLog, catalog: PostCatalog, *, seed: int = 0
) -> NeighbourLists:
    """The lists tuned on `valid`'s positives and fitted on `train`'s. They do not depend on
    the model, so training may run them beside it (`training.service`)."""
    train_pos, valid_pos = _positives(train), _positives(valid)
    post_ids = np.union1d(catalog.post_ids, train_pos.post_ids)
    users = np.unique(train_pos.user_ids)
    x_train, x_valid = (
        interaction_matrix(train_pos, users, post_ids),
        interaction_matrix(valid_pos, users, post_ids),
    )
    lists, params = fit_neighbour_lists(x_train, x_valid, seed=seed)
    return NeighbourLists(post_ids, lists, params)


def fit_serving_extras(
    train: InteractionLog,
    valid: InteractionLog,
    catalog: PostCatalog,
    model: FeedModel | None,
    config: FeedConfig,
    encoder: Encoder,
    *,
    seed: int = 0,
    lists: NeighbourLists | None = None,
) -> ServingExtras:
    """Neighbour lists tuned on `valid`, fitted on `train` (`lists` when given, computed
    already by `neighbour_lists` on the same logs); then weights learned on `valid`."""
    fitted = lists if lists is not None else neighbour_lists(train, valid, catalog, seed=seed)
    extras = ServingExtras(fitted.post_ids, fitted.lists, {}, {"lists": fitted.params})
    valid_pos = _positives(valid)
    # Validation requests are served as /feed serves them, on one BLAS thread (api.feed_setup):
    # a second one beside torch's threads made the content source's mat-vec ~40x slower.
    with threadpool_limits(1, user_api="blas"):
        state = build_state(catalog, train, encoder, config, model=model, extras=extras)
        examples = validation_examples(state, config, train, valid_pos, seed=seed)
        weights, objective = learn_weights(examples, config.weights_for({}, cold=False))
        named = leading_moods(split_by_user(train), catalog)
        vectors = dict(zip(sorted(set(named.values())), encoder(sorted(set(named.values()))),
                           strict=True)) if named else {}  # fmt: skip
        moods = {u: (m, vectors[m]) for u, m in named.items()}
        weights |= learn_cold_weights(state, config, train, valid_pos, moods, seed=seed)
    info = {**extras.info, "validation_users": len(examples), "objective": objective}
    return ServingExtras(fitted.post_ids, fitted.lists, weights, info)


def _positives(log: InteractionLog) -> InteractionLog:
    signals = SignalWeights()
    return log.select(signals.is_positive(log.kinds, log.ratings))


def interaction_matrix(log: InteractionLog, users: IntArray, post_ids: IntArray) -> sp.csr_matrix:
    """Binary users x posts matrix of `log` (events of other users or posts are dropped)."""
    r = np.searchsorted(users, log.user_ids).clip(0, max(len(users) - 1, 0))
    c = np.searchsorted(post_ids, log.post_ids).clip(0, max(len(post_ids) - 1, 0))
    ok = (users[r] == log.user_ids) & (post_ids[c] == log.post_ids) if len(users) else r < 0
    matrix = sp.csr_matrix(
        (np.ones(int(ok.sum()), np.float32), (r[ok], c[ok])), shape=(len(users), len(post_ids))
    )
    matrix.data[:] = 1.0
    return matrix


def fit_neighbour_lists(
    train: sp.csr_matrix, valid: sp.csr_matrix, *, seed: int = 0
) -> tuple[dict[str, sp.csr_matrix], dict[str, Any]]:
    """Tune and fit the list models (dense up to `DENSE_MAX_POSTS`, else sparse item-kNN)."""
    if train.shape[1] > DENSE_MAX_POSTS:
        return {"item_knn": sparse_item_knn(train)}, {"item_knn": {"sparse": True}}
    valid = tuning_users(valid, MAX_USERS, seed=seed)
    tuned = {name: tune(name, train, valid, seed=seed, climb=True) for name in LIST_NAMES}
    params = {LIST_NAMES[name]: t.params for name, t in tuned.items()}
    return lists_from_models({name: t.model for name, t in tuned.items()}), params


def tuning_users(valid: sp.csr_matrix, limit: int, *, seed: int = 0) -> sp.csr_matrix:
    """`valid` with the held-out posts of at most `limit` users (a seeded sample), others emptied.

    Tuning scores every validation user against every post for each grid point: at 100,000
    users and 10,000 posts that kept `videorec train` busy for more than 55 minutes on 2 cores.
    """
    users = np.flatnonzero(np.diff(valid.indptr) > 0)
    if users.size <= limit:
        return valid
    keep = np.random.default_rng(seed).choice(users, size=limit, replace=False)
    mask = sp.diags(np.isin(np.arange(valid.shape[0]), keep).astype(np.float32))
    sampled: sp.csr_matrix = sp.csr_matrix(mask @ valid)
    sampled.eliminate_zeros()
    return sampled


def neighbours_per_post(n_posts: int) -> int:
    """Neighbours kept per post: `NEIGHBOURS_PER_POST`, more while the list stays within
    `LIST_ENTRIES` (truncation costs accuracy: on MovieLens-100k, 1,682 posts, EASE's NDCG@10
    0.3304 (random-811, seed 2) is 0.3296 from 1,189 neighbours a post)."""
    return max(NEIGHBOURS_PER_POST, min(n_posts, LIST_ENTRIES // max(n_posts, 1)))


def lists_from_models(
    models: Mapping[str, Recommender], k: int | None = None
) -> dict[str, sp.csr_matrix]:
    """Each fitted model's item-item matrix (row: a watched post), its k best per row (default:
    `neighbours_per_post` of the catalogue)."""
    lists: dict[str, sp.csr_matrix] = {}
    for name, model in models.items():
        per_post = k or neighbours_per_post(_n_items(model))
        if isinstance(model, Ease):
            lists[LIST_NAMES[name]] = top_per_row(model.weights, per_post)
        elif isinstance(model, ItemKNN | RP3Beta):
            lists[LIST_NAMES[name]] = top_per_row(model.similarity, per_post)
    return lists


def _n_items(model: Recommender) -> int:
    matrix = model.weights if isinstance(model, Ease) else getattr(model, "similarity", None)
    return int(matrix.shape[1]) if matrix is not None else 0


def top_per_row(matrix: FloatArray | sp.spmatrix, k: int) -> sp.csr_matrix:
    """The k largest entries of each row by magnitude (EASE's negative weights count: they push
    posts down), as CSR float32."""
    if sp.issparse(matrix):
        return _prune_rows(sp.csr_matrix(matrix, dtype=np.float32), k)
    dense = np.asarray(matrix, np.float32)
    n = dense.shape[1]
    if k < n:
        cols = np.argpartition(-np.abs(dense), k - 1, axis=1)[:, :k]
    else:
        cols = np.broadcast_to(np.arange(n), dense.shape)
    rows = np.broadcast_to(np.arange(dense.shape[0])[:, None], cols.shape)
    values = dense[rows, cols]
    keep = values != 0
    return sp.csr_matrix((values[keep], (rows[keep], cols[keep])), shape=dense.shape)


def sparse_item_knn(train: sp.csr_matrix, k: int = NEIGHBOURS_PER_POST, shrink: float = 10.0
                    ) -> sp.csr_matrix:  # fmt: skip
    """Cosine item-kNN from the sparse co-occurrence, for catalogues beyond `DENSE_MAX_POSTS`."""
    x = sp.csr_matrix(train, dtype=np.float32)
    co = (x.T @ x).tocsr()
    norms = np.sqrt(np.asarray(co.diagonal(), np.float32))
    co.setdiag(0)
    co.eliminate_zeros()
    coo = co.tocoo()
    sim = coo.data / (norms[coo.row] * norms[coo.col] + shrink + 1e-9)
    return _prune_rows(sp.csr_matrix((sim, (coo.row, coo.col)), shape=co.shape), k)


def _prune_rows(matrix: sp.csr_matrix, k: int) -> sp.csr_matrix:
    matrix = matrix.tocsr()
    matrix.eliminate_zeros()
    counts = np.diff(matrix.indptr)
    row_of = np.repeat(np.arange(matrix.shape[0]), counts)
    order = np.lexsort((-np.abs(matrix.data), row_of))
    rank = np.arange(order.size) - np.repeat(matrix.indptr[:-1], counts)
    keep = order[rank < k]
    return sp.csr_matrix(
        (matrix.data[keep], (row_of[keep], matrix.indices[keep])), shape=matrix.shape,
        dtype=np.float32,
    )  # fmt: skip


def validation_examples(
    state: PipelineState,
    config: FeedConfig,
    train: InteractionLog,
    valid: InteractionLog,
    *,
    seed: int = 0,
    max_users: int = MAX_USERS,
    first: int | None = None,
    moods: Mapping[int, tuple[str, Matrix]] | None = None,
) -> list[Example]:
    """Validation users' pools (at most `max_users`, sampled) with their held-out posts.

    Default: the warm users (at least `cold_start_min_events` events) with their history.
    `first=n`: users with at least n events, served their first n only, as users the model never
    saw (the cold path when n is under `cold_start_min_events`). `moods`: user -> (mood, vector):
    those users with no events and that mood.
    """
    histories = split_by_user(train)
    targets = split_by_user(valid)
    need = config.cold_start_min_events if first is None else first
    eligible = sorted(u for u in targets if len(histories.get(u, ())) >= need)
    if moods is not None:
        eligible = [u for u in eligible if u in moods]
    users = np.asarray(eligible, np.int64)
    if users.size > max_users:
        users = np.sort(np.random.default_rng(seed).choice(users, max_users, replace=False))
    sources = default_sources()
    examples = []
    for user in users.tolist():
        history = histories.get(user, InteractionLog.empty())
        mood, vector = moods[user] if moods is not None else (None, None)
        events = history if first is None else history.select(np.arange(min(first, len(history))))
        if moods is not None:
            events = InteractionLog.empty()
        served_as = user if first is None and moods is None else new_user(user, len(events))
        _, pool = request_pool(state, config, sources, served_as, events,
                               mood=mood, mood_vector=vector)  # fmt: skip
        truth = np.setdiff1d(state.index.rows_of(targets[user].post_ids), [-1])
        truth = np.setdiff1d(truth, state.index.rows_of(history.post_ids))
        if truth.size:
            examples.append(Example(pool, np.isin(pool.rows, truth), int(truth.size)))
    return examples


def new_user(user_id: int, n_events: int) -> int | None:
    """The id a cut-history user is served as: known to the feed (if they have events), never
    seen by the model (a cut history must not meet an embedding trained on the whole one)."""
    return NEW_USER - user_id if n_events else None


def leading_moods(histories: Mapping[int, InteractionLog], catalog: PostCatalog) -> dict[int, str]:
    """Each user's most frequent leading mood term over their posts (users with none left out)."""
    first = {int(p): terms[0] for p, terms in zip(catalog.post_ids, catalog.mood_terms, strict=True)
             if terms}  # fmt: skip
    moods: dict[int, str] = {}
    for user, log in histories.items():
        counts = Counter(first[p] for p in log.post_ids.tolist() if p in first)
        if counts:
            moods[user] = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]
    return moods


def learn_cold_weights(
    state: PipelineState,
    config: FeedConfig,
    train: InteractionLog,
    valid: InteractionLog,
    moods: Mapping[int, tuple[str, Matrix]],
    *,
    seed: int = 0,
) -> dict[str, float]:
    """The cold path's weights (`cold.<source>`): every source's learned on validation users cut
    to their first 1 and 2 events; then the mood's, on the same users with no events but their
    own leading mood (the other weights held, so the few-events users decide them)."""
    examples = [
        e
        for first in range(1, config.cold_start_min_events)
        for e in validation_examples(
            state, config, train, valid, seed=seed, first=first, max_users=MAX_USERS // 2
        )  # fmt: skip
    ]
    start = config.weights_for({}, cold=True)
    # No held-out check: these users are warm ones cut to their first events, a proxy whose best
    # single source changed from seed to seed on the samples (co-visitation, RP3beta) and lost
    # 0.01-0.02 NDCG@10 on the truly cold test users there, where the blend did not.
    learned, _ = learn_weights(examples, start, held_out_check=False)
    with_mood = validation_examples(state, config, train, valid, seed=seed, moods=moods,
                                    first=0, max_users=MAX_USERS // 2)  # fmt: skip
    mood, _ = learn_weights(with_mood, {**start, **learned}, only=("mood",))
    learned["mood"] = mood.get("mood", start.get("mood", 0.5))
    return {f"{COLD}{k}": v for k, v in learned.items()}


def learn_weights(
    examples: Sequence[Example],
    start: Mapping[str, float],
    only: Sequence[str] | None = None,
    *,
    held_out_check: bool = True,
) -> tuple[dict[str, float], float]:
    """Coordinate ascent over `WEIGHT_GRID` on NDCG@10 + 0.25 Recall@50 of the ranked pools,
    from the better of `start` and the best single source (`only`: move just these columns,
    from `start`); a move must gain the share `MIN_GAIN`. Without `only` and with
    `held_out_check`, the blend found is kept only when blends learned this way beat the best
    single source on users they were not learned on (`blend_generalises`); else that source
    alone is served."""
    columns = sorted({c for e in examples for c in e.pool.columns})
    if not columns:
        return {}, 0.0
    stacked = _Stacked(examples, columns)
    weights, single = _ascend(stacked, columns, start, only)
    if held_out_check and single is not None and not np.array_equal(weights, single):
        if not blend_generalises(examples, columns, start):
            weights = single
    best = stacked.objective(weights)
    learned = {c: round(float(w), 3) for c, w in zip(columns, weights, strict=True)}
    log.info("serving_weights_learned", weights=learned, objective=round(best, 4))
    return learned, float(best)


def _ascend(
    stacked: _Stacked, columns: list[str], start: Mapping[str, float], only: Sequence[str] | None
) -> tuple[FloatArray, FloatArray | None]:
    """The coordinate ascent's weights, and the best single source's (None with `only`)."""
    starts = [np.asarray([weight_of(start, c) for c in columns], np.float32)]
    if only is None:
        starts += [np.eye(len(columns), dtype=np.float32)[i] for i in range(len(columns))]
    scored = [stacked.objective(w) for w in starts]
    best = max(scored)
    weights = starts[scored.index(best)]  # the configured start, or the best single source
    single = starts[1 + int(np.argmax(scored[1:]))] if only is None else None
    for _ in range(ROUNDS):
        for i in range(len(columns)):
            if only is not None and columns[i] not in only:
                continue
            for value in WEIGHT_GRID:
                if value == weights[i]:
                    continue
                trial = weights.copy()
                trial[i] = value
                score = stacked.objective(trial) if trial.any() else -1.0
                if score > best * (1 + MIN_GAIN):
                    best, weights = score, trial
    return weights, single


def blend_generalises(
    examples: Sequence[Example], columns: list[str], start: Mapping[str, float]
) -> bool:
    """Two-fold cross-fitting: the blend and the best single source learned on one half of the
    users, compared on the other half (both ways); the blend generalises when its mean per-user
    gain exceeds `BLEND_MARGIN_SE` standard errors. (The gain on the users it was learned on is
    biased upwards: the ascent picked it for them.)"""
    halves = (examples[0::2], examples[1::2])
    diffs = []
    for fit, held in ((halves[0], halves[1]), (halves[1], halves[0])):
        if not fit or not held:
            return False
        blend, single = _ascend(_Stacked(fit, columns), columns, start, None)
        assert single is not None
        scored = _Stacked(held, columns)
        diffs.append(scored.per_user(blend) - scored.per_user(single))
    diff = np.concatenate(diffs)
    error = float(diff.std(ddof=1)) / np.sqrt(diff.size) if diff.size > 1 else np.inf
    wins = float(diff.mean()) > BLEND_MARGIN_SE * error
    log.info("serving_blend_checked", held_out_gain=round(float(diff.mean()), 5),
             standard_error=round(error, 5), blend=wins)  # fmt: skip
    return wins


class _Stacked:
    """Every example's pool in one users x pool-slots array (short pools padded), so one weight
    vector is scored with a row-wise sort: 2-3x faster than one sort of all pools end to end,
    which made weight learning a fifth of the serving extras' time on the demo."""

    def __init__(self, examples: Sequence[Example], columns: list[str]) -> None:
        at = {c: i for i, c in enumerate(columns)}
        width = max((e.pool.rows.size for e in examples), default=0) or 1
        self.signals = np.zeros((len(examples), width, len(columns)), np.float32)
        self.filled = np.zeros((len(examples), width), bool)
        self.hits = np.zeros((len(examples), width), bool)
        for i, e in enumerate(examples):
            size = e.pool.rows.size
            self.signals[i, :size][:, [at[c] for c in e.pool.columns]] = e.pool.signals
            self.filled[i, :size] = True
            self.hits[i, :size] = e.hits
        n_truth = np.asarray([e.n_truth for e in examples], np.float64)
        self.idcg = np.asarray([np.sum(1 / np.log2(np.arange(2, min(t, 10) + 2))) for t in n_truth])
        self.n_truth = n_truth
        self.n_users = max(len(examples), 1)
        self.discount = 1 / np.log2(np.arange(10) + 2)

    def objective(self, weights: FloatArray) -> float:
        """The mean over users of NDCG@10 + `RECALL_WEIGHT` x Recall@50."""
        return float(self.per_user(weights).sum() / self.n_users)

    def per_user(self, weights: FloatArray) -> npt.NDArray[np.float64]:
        """shape (users,): each user's NDCG@10 + `RECALL_WEIGHT` x Recall@50, each pool ranked by
        score (ties: pool order)."""
        scores = (self.signals @ weights).astype(np.float64)
        scores[~self.filled] = -np.inf
        order = np.argsort(-scores, axis=1, kind="stable")[:, :50]
        hit = np.take_along_axis(self.hits, order, axis=1)
        top10 = hit[:, :10]
        gains = (top10 * self.discount[: top10.shape[1]]).sum(axis=1)
        ndcg = gains / np.maximum(self.idcg, 1e-9)
        recall = hit.sum(axis=1) / np.maximum(self.n_truth, 1)
        per_user: npt.NDArray[np.float64] = (ndcg + RECALL_WEIGHT * recall).astype(np.float64)
        return per_user
