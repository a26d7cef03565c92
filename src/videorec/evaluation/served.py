"""Evaluate what `/feed` serves: the real candidate sources, `rank` and `pick_page`, no database.

Per run the feed's state is built from the training part only (`serving.state.build_state`):
catalogue index with text embeddings, time-decayed popularity, co-visitation, the neighbour
lists of the run's tuned EASE / RP3beta / item-kNN (as training stores them in the artifact),
the two-tower when `two-tower` is evaluated too, and the weights learned on the validation users
(`training.serving_extras.learn_weights`, as `videorec train` learns them). Each test user's
training history is then served:

- `served-ranked`: the ranked session pool (`session_pool_size` posts), best first;
- `served-displayed`: pages 1-3 as `pick_page` makes them (MMR, caps, exploration);
- `pool-recall@300`: the share of the user's test posts that reached the pool.

Cold-start slices serve the same users again with their history cut to its first 0, 1, 2 and 5
events (users with at least that many), and with 0 events plus a mood taken from the analysed
moods of their own training posts (`cold-mood`); each slice also reports popularity and the
item-item baselines folded in on the cut history (EASE, item-kNN), and each DNN evaluated
(`two-tower`, `sasrec`) alone, scoring the cut history as a user it never saw.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from videorec.evaluation.baselines.base import Recommender
from videorec.evaluation.baselines.ease import Ease
from videorec.evaluation.matrix import SplitMatrices
from videorec.evaluation.scoring import evaluated_users, measure
from videorec.evaluation.splits import SplitLogs
from videorec.evaluation.tuning import Tuned
from videorec.evaluation.two_tower import TwoTowerSource
from videorec.features.log import InteractionLog, PostCatalog
from videorec.serving.candidates import CandidateSource, default_sources
from videorec.serving.config import FeedConfig
from videorec.serving.extras import ServingExtras
from videorec.serving.index import CatalogIndex, Encoder
from videorec.serving.ranking import column_weights, order
from videorec.serving.registry import PipelineState
from videorec.serving.rerank import pick_page
from videorec.serving.scorer import FeedModel
from videorec.serving.state import build_state, request_pool
from videorec.training.serving_extras import (
    leading_moods,
    learn_cold_weights,
    learn_weights,
    lists_from_models,
    new_user,
    validation_examples,
)
from videorec.training.split import split_by_user

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float32]
RANKED, DISPLAYED = "served-ranked", "served-displayed"
POOL_RECALL = "pool-recall@300"
PAGES = 3
SLICES = (0, 1, 2, 5)
MOOD_SLICE = "cold-mood"
LIST_MODELS = ("ease", "rp3beta", "item-knn")
FOLD_IN = ("ease", "item-knn")
BLAS_THREADS = 1
"""BLAS threads while serving, as `/feed` runs (`api.feed_setup`): a request's mat-vecs are small,
and a second OpenBLAS thread beside torch's OpenMP pool made the content source's 5,000 x 384
mat-vec ~40x slower (16 ms against 0.4 ms) on the 2-core box."""
"""Baselines that score a cut history directly (x_u · B), so they run on every slice."""
Values = dict[str, float]


class TimedEncoder:
    """An encoder that counts the seconds spent in it (a first run over a catalogue embeds every
    post text; later runs read the embedding cache), so the report can split them out."""

    def __init__(self, encoder: Encoder) -> None:
        self.encoder, self.seconds = encoder, 0.0

    def __call__(self, texts: list[str]) -> npt.NDArray[np.float32]:
        started = time.perf_counter()
        try:
            return self.encoder(texts)
        finally:
            self.seconds += time.perf_counter() - started


@dataclass(frozen=True)
class Served:
    """A served feed's result for some users, as matrix columns best first."""

    ranked: dict[int, IntArray]
    displayed: dict[int, IntArray]


class ServedLists:
    """A `Recommender` over fixed per-user lists: listed items by position, the rest last."""

    def __init__(self, name: str, lists: dict[int, IntArray], n_items: int) -> None:
        self.name, self.lists, self.n_items = name, lists, n_items

    def fit(self, train: sp.csr_matrix) -> None:
        """The lists are already served."""

    def scores(self, users: IntArray) -> npt.NDArray[np.float32]:
        out = np.full((len(users), self.n_items), -1e9, np.float32)
        for i, user in enumerate(users.tolist()):
            cols = self.lists.get(user, np.zeros(0, np.int64))
            out[i, cols] = np.arange(cols.size, 0, -1, dtype=np.float32)
        return out


class FoldIn:
    """An item-item baseline scoring a different (cut) history matrix: x_u · B."""

    def __init__(self, model: Recommender, history: sp.csr_matrix) -> None:
        self.name, self.model, self.history = model.name, model, history

    def fit(self, train: sp.csr_matrix) -> None:
        """Fitted already."""

    def scores(self, users: IntArray) -> npt.NDArray[np.float32]:
        weights = self.model.weights if isinstance(self.model, Ease) else self.model.similarity  # type: ignore[attr-defined]
        out = self.history[users] @ weights
        return np.asarray(out.toarray() if sp.issparse(out) else out, np.float32)


class ServedEvaluation:
    """The served feed of one run, built from its training part.

    Args:
        logs, m: the run's split and its matrices.
        catalog: the catalogue with counters as of the cut.
        tuned: the run's tuned models (EASE, RP3beta, item-kNN give the neighbour lists).
        encoder: text -> unit vectors (the feed's `EmbeddingCache.encode`).
        config: the feed configuration.
        model: the run's trained two-tower, if evaluated.
    """

    def __init__(
        self,
        logs: SplitLogs,
        m: SplitMatrices,
        catalog: PostCatalog,
        tuned: dict[str, Tuned],
        encoder: Encoder,
        config: FeedConfig,
        *,
        model: FeedModel | None = None,
        seed: int = 0,
    ) -> None:
        self.logs, self.m, self.catalog, self.config = logs, m, catalog, config
        self.encoder = TimedEncoder(encoder)
        self.sources: list[CandidateSource] = default_sources()
        lists = lists_from_models({n: tuned[n].model for n in LIST_MODELS if n in tuned})
        extras = ServingExtras(m.item_ids, lists)
        state = build_state(catalog, logs.train, self.encoder, config, model=model, extras=extras)
        self.histories = split_by_user(logs.train)
        self.moods = leading_moods(self.histories, catalog)
        moods = self._mood_vectors(sorted(set(self.moods.values())))
        with threadpool_limits(BLAS_THREADS, user_api="blas"):
            examples = validation_examples(state, config, logs.train, logs.valid, seed=seed)
            weights, _ = learn_weights(examples, config.weights_for({}, cold=False))
            weights |= learn_cold_weights(
                state, config, logs.train, logs.valid,
                {u: (mood, moods[mood]) for u, mood in self.moods.items()}, seed=seed,
            )  # fmt: skip
        self.state: PipelineState = replace(state, weights=weights)

    @property
    def weights(self) -> dict[str, float]:
        return dict(self.state.weights)

    def serve(
        self,
        users: IntArray,
        history: Callable[[int], InteractionLog],
        moods: dict[int, str],
        *,
        known: bool = True,
        pages: bool = True,
    ) -> Served:
        """Serve each matrix row in `users` with the given history (and mood, if any).

        `known=False` serves them as users the model never saw (a cut history must not meet a
        user embedding trained on the whole one); with no events they are unknown to the feed.
        """
        ranked: dict[int, IntArray] = {}
        displayed: dict[int, IntArray] = {}
        vectors = self._mood_vectors(sorted(set(moods.values())))
        with threadpool_limits(BLAS_THREADS, user_api="blas"):
            for user in users.tolist():
                user_id = int(self.m.user_ids[user])
                mood = moods.get(user)
                events = history(user_id)
                served_as = user_id if known else new_user(user_id, len(events))
                session = serve_session(self.state, self.config, self.sources, served_as, events,
                                        mood=mood, mood_vector=vectors.get(mood or ""),
                                        pages=PAGES if pages else 0)  # fmt: skip
                ranked[user] = self.columns(session.rows)
                if pages:
                    displayed[user] = self.columns(session.rows[session.shown])
        return Served(ranked, displayed)

    def columns(self, rows: IntArray) -> IntArray:
        """Matrix columns of catalogue rows."""
        ids = self.state.index.post_ids[rows]
        return np.searchsorted(self.m.item_ids, ids).astype(np.int64)

    def _mood_vectors(self, moods: list[str]) -> dict[str, npt.NDArray[np.float32]]:
        return dict(zip(moods, self.encoder(moods), strict=True)) if moods else {}

    def full_history(self, user_id: int) -> InteractionLog:
        return self.histories.get(user_id, InteractionLog.empty())

    def measure(
        self, served: Served, truth: sp.csr_matrix, exclude: sp.csr_matrix
    ) -> dict[str, Values]:
        """Metrics of the ranked and displayed lists, and the ranked pool's recall."""
        n = self.m.n_items
        ranked = measure(ServedLists(RANKED, served.ranked, n), truth, exclude, self.m.train)
        shown = measure(ServedLists(DISPLAYED, served.displayed, n), truth, exclude, self.m.train)
        ranked.values[POOL_RECALL] = pool_recall(served.ranked, truth)
        return {RANKED: ranked.values, DISPLAYED: shown.values}


@dataclass(frozen=True)
class Session:
    """One user's feed session: the ranked pool and the pool positions of the pages shown."""

    rows: IntArray
    scores: npt.NDArray[np.float32]
    shown: IntArray


def serve_session(
    state: PipelineState,
    config: FeedConfig,
    sources: list[CandidateSource],
    user_id: int | None,
    history: InteractionLog,
    *,
    mood: str | None = None,
    mood_vector: npt.NDArray[np.float32] | None = None,
    pages: int = PAGES,
) -> Session:
    """What `FeedService` serves one request: sources, `rank` (the learned or configured
    weights), the session pool as its snapshot stores it (scores rounded to 5 decimals), then
    `pages` pages of `default_page_size` by `pick_page`, each from what the earlier left."""
    ctx, pool = request_pool(state, config, sources, user_id, history,
                             mood=mood, mood_vector=mood_vector)  # fmt: skip
    result = order(ctx, pool, column_weights(config.weights_for(ctx.weights, cold=ctx.cold), pool))
    keep = config.session_pool_size
    rows = result.rows[:keep]
    scores = np.round(result.scores[:keep].astype(np.float64), 5).astype(np.float32)
    return Session(rows, scores, session_pages(state.index, config, rows, scores, pages))


def session_pages(
    index: CatalogIndex, config: FeedConfig, rows: IntArray, scores: FloatArray, pages: int
) -> IntArray:
    """Pool positions of the first `pages` pages of `default_page_size`, as `pick_page` makes
    them from a session's ranked pool, each from what the earlier left (`/feed`'s cursors)."""
    left = rows.copy()
    shown: list[int] = []
    for _ in range(pages):
        pick = pick_page(index, left, scores, config.default_page_size, config,
                         category_filtered=False)  # fmt: skip
        left[pick.positions] = -1
        shown += pick.positions
    return np.asarray(shown, np.int64)


def pool_recall(pools: dict[int, IntArray], truth: sp.csr_matrix) -> float:
    """Mean over users with held-out items of the share of them in the user's pool."""
    users = evaluated_users(truth)
    shares = [
        np.isin(truth[u].indices, pools.get(int(u), np.zeros(0, np.int64))).mean() for u in users
    ]
    return float(np.mean(shares)) if shares else 0.0


def served_rows(run: ServedEvaluation, users: IntArray) -> dict[str, Values]:
    """`served-ranked` (with pool recall) and `served-displayed` on the test part."""
    m = run.m
    served = run.serve(users, run.full_history, {})
    return run.measure(served, m.test, (m.train + m.valid).tocsr())


def cold_slices(
    run: ServedEvaluation,
    tuned: dict[str, Tuned],
    catalog: PostCatalog,
    dnns: Mapping[str, TwoTowerSource] = MappingProxyType({}),
) -> dict[str, Values]:
    """Served, popularity, the fold-in baselines and each evaluated DNN alone (`dnns`, folded
    in as unknown users) on histories cut to their first n events."""
    m = run.m
    exclude = (m.train + m.valid).tocsr()
    test_users = evaluated_users(m.test)
    out: dict[str, Values] = {}
    for n in SLICES:
        events = {int(u): _first(run.full_history(int(m.user_ids[u])), n) for u in test_users}
        users = np.asarray([u for u in test_users if len(events[int(u)]) >= n], np.int64)
        truth = _rows_only(m.test, users)
        history = {int(m.user_ids[u]): events[int(u)] for u in users}
        served = run.serve(users, history.__getitem__, {}, known=False, pages=False)
        out[f"cold-{n} served"] = run.measure(served, truth, exclude)[RANKED]
        out[f"cold-{n} popularity"] = measure(
            tuned["popularity"].model, truth, exclude, m.train
        ).values
        if n == 0:
            continue
        cut = _history_matrix(m, history)
        for name in (b for b in FOLD_IN if b in tuned):
            model = FoldIn(tuned[name].model, cut)
            out[f"cold-{n} {name}"] = measure(model, truth, exclude, m.train).values
        for name, dnn in dnns.items():
            folded = dnn.folded_in(history)
            out[f"cold-{n} {name}"] = measure(folded, truth, exclude, m.train).values
    moods = user_moods(run, catalog, test_users)
    users = np.asarray(sorted(moods), np.int64)
    truth = _rows_only(m.test, users)
    served = run.serve(users, lambda _: InteractionLog.empty(), moods, known=False, pages=False)
    out[f"{MOOD_SLICE} served"] = run.measure(served, truth, exclude)[RANKED]
    out[f"{MOOD_SLICE} popularity"] = measure(
        tuned["popularity"].model, truth, exclude, m.train
    ).values
    return out


def user_moods(run: ServedEvaluation, catalog: PostCatalog, users: IntArray) -> dict[int, str]:
    """Matrix row -> the user's leading mood over their training posts (users with one)."""
    ids = {int(run.m.user_ids[u]): int(u) for u in users.tolist()}
    return {ids[uid]: mood for uid, mood in run.moods.items() if uid in ids}


def _first(log: InteractionLog, n: int) -> InteractionLog:
    return log.select(np.arange(min(n, len(log))))


def _rows_only(matrix: sp.csr_matrix, users: IntArray) -> sp.csr_matrix:
    """`matrix` with every row outside `users` emptied."""
    keep = np.zeros(matrix.shape[0], np.float32)
    keep[users] = 1.0
    return sp.csr_matrix(sp.diags(keep) @ matrix)


def _history_matrix(m: SplitMatrices, history: dict[int, InteractionLog]) -> sp.csr_matrix:
    rows, cols = [], []
    for user_id, log in history.items():
        rows += [int(np.searchsorted(m.user_ids, user_id))] * len(log)
        cols += np.searchsorted(m.item_ids, log.post_ids).tolist()
    matrix = sp.csr_matrix(
        (np.ones(len(rows), np.float32), (rows, cols)), shape=m.train.shape, dtype=np.float32
    )
    matrix.data[:] = 1.0
    return matrix


def describe(run: ServedEvaluation) -> dict[str, Any]:
    """The learned weights and list sizes, for the report's params."""
    return {
        "weights": run.weights,
        "lists": sorted(run.state.neighbours),
        "embedding_seconds": round(run.encoder.seconds, 1),
    }
