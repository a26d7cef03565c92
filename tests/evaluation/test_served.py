"""The served feed in `videorec evaluate`: real sources, `rank` and pages, leak-free, sliced."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from tests.evaluation.conftest import clustered_log
from videorec.evaluation.baselines.popularity import Popularity
from videorec.evaluation.datasets import implicit_positives
from videorec.evaluation.matrix import to_matrices
from videorec.evaluation.offline import Report, as_of_cut, evaluate
from videorec.evaluation.served import BLAS_THREADS, RANKED, ServedEvaluation, cold_slices
from videorec.evaluation.splits import split
from videorec.evaluation.tuning import tune
from videorec.features.log import KIND_CODES, InteractionLog, PostCatalog
from videorec.features.text import EmbeddingCache
from videorec.serving.config import FeedConfig

TEXTS = ("quiet sunset by the lake, slow waves", "gym workout, never give up")
MOODS = (["calm", "peaceful"], ["motivational", "energetic"])


def _catalog(log: InteractionLog, views: np.ndarray) -> PostCatalog:
    """Posts 100..139; the first half (one taste group's) calm, the second motivational."""
    ids = np.arange(100, 140, dtype=np.int64)
    half = (ids >= 120).astype(int)
    return PostCatalog(
        post_ids=ids,
        category_ids=np.full(ids.size, 2, np.int64),
        creators=[f"c{i % 8}" for i in range(ids.size)],
        created_at=np.full(ids.size, int(log.timestamps.min()) - 86_400, np.int64),
        texts=[f"{TEXTS[h]} #{i}" for i, h in enumerate(half)],
        mood_terms=[list(MOODS[h]) for h in half],
        counters={"view_count": views.astype(np.float32)},
    )


@pytest.fixture(scope="module")
def cache() -> EmbeddingCache:
    return EmbeddingCache()


@pytest.fixture(scope="module")
def report(cache: EmbeddingCache) -> Report:
    log = clustered_log()
    return evaluate(
        log, _catalog(log, np.zeros(40)), dataset="demo", protocol="random-811",
        models=("popularity", "ease", "served"), runs=1, encoder=cache.encode,
    )  # fmt: skip


class TestServedRows:
    def test_reports_ranked_displayed_and_pool_recall(self, report: Report) -> None:
        summary = report.summary()
        assert {"served-ranked", "served-displayed"} <= set(summary)
        assert 0.0 < summary["served-ranked"]["pool-recall@300"][0] <= 1.0
        assert summary["served-ranked"]["ndcg@10"][0] > summary["popularity"]["ndcg@10"][0]

    def test_records_the_learned_weights(self, report: Report) -> None:
        weights = report.params["served-ranked"][0]["weights"]
        assert "ease" in weights
        assert "covisit" in weights

    def test_splits_the_embedding_seconds_out_of_its_own(self, report: Report) -> None:
        params = report.params["served-ranked"][0]
        assert 0.0 <= params["embedding_seconds"] <= params["seconds"]

    def test_reports_every_cold_slice(self, report: Report) -> None:
        names = set(report.values)
        for n in (0, 1, 2, 5):
            assert {f"cold-{n} served", f"cold-{n} popularity"} <= names
        assert {"cold-1 ease", "cold-1 item-knn", "cold-mood served"} <= names

    def test_mood_slice_follows_the_users_moods(self, report: Report) -> None:
        """Each taste group watches one mood: served by mood, it beats popularity."""
        mood = report.summary()["cold-mood served"]["ndcg@10"][0]
        assert mood > report.summary()["cold-mood popularity"]["ndcg@10"][0]


GRIDS = {"ease": [{"lam": 50.0}], "rp3beta": [{"alpha": 1.0, "beta": 0.5, "k": 20}],
         "item-knn": [{"k": 20, "shrink": 10.0}]}  # fmt: skip


def _served_lists(log: InteractionLog, catalog: PostCatalog, cache: EmbeddingCache) -> list:
    """Every user's served pool and pages, as `evaluate` computes them on a temporal split."""
    logs = split(implicit_positives(log), "temporal")
    known = as_of_cut(catalog, log, logs, "temporal")
    m = to_matrices(logs, known)
    tuned = {n: tune(n, m.train, m.valid, grid=g) for n, g in GRIDS.items()}
    run = ServedEvaluation(logs, m, known, tuned, cache.encode, FeedConfig())
    users = np.arange(m.train.shape[0])
    served = run.serve(users, run.full_history, {})
    return [served.ranked[u].tolist() + served.displayed[u].tolist() for u in users.tolist()]


class TestNoLeakage:
    """Changing events or upstream counters after the cut changes no served score."""

    @staticmethod
    def _after_the_cut(log: InteractionLog) -> InteractionLog:
        """Test-period views become likes and low ratings are added then; the split is the same.

        (Validation events are used, like every model's tuning uses them, to learn weights.)
        """
        cut = np.quantile(log.timestamps, 0.9)
        kinds = np.where(log.timestamps > cut, KIND_CODES["like"], log.kinds).astype(np.int8)
        late = log.select(log.timestamps > cut)
        extra = replace(
            late,
            kinds=np.full(len(late), KIND_CODES["rating"], np.int8),
            ratings=np.full(len(late), 10.0, np.float32),
            post_ids=late.post_ids[::-1].copy(),
        )
        changed = replace(log, kinds=kinds)
        return InteractionLog(*(np.concatenate([getattr(changed, f), getattr(extra, f)])
                                for f in ("user_ids", "post_ids", "kinds", "ratings",
                                          "timestamps")))  # fmt: skip

    def test_served_lists_ignore_what_happens_after_the_cut(self, cache: EmbeddingCache) -> None:
        log = clustered_log()
        rng = np.random.default_rng(3)
        one = _served_lists(log, _catalog(log, np.zeros(40)), cache)
        later = self._after_the_cut(log)
        two = _served_lists(later, _catalog(later, rng.integers(0, 10_000, 40)), cache)
        assert one == two

    def test_upstream_counters_would_change_them_without_the_cut(self, cache) -> None:
        """The control: the same feed state fed the upstream totals serves differently (with
        the configured weights: the toy data's learned ones may leave popularity out)."""
        log = clustered_log()
        logs = split(log, "temporal")
        lists = []
        for views in (np.zeros(40), np.random.default_rng(3).integers(0, 10_000, 40)):
            raw = _catalog(log, views)
            m = to_matrices(logs, raw)
            tuned = {n: tune(n, m.train, m.valid, grid=g) for n, g in GRIDS.items()}
            config = FeedConfig(use_learned_weights=False)
            run = ServedEvaluation(logs, m, raw, tuned, cache.encode, config)
            served = run.serve(np.arange(m.train.shape[0]), run.full_history, {})
            lists.append([served.displayed[u].tolist() for u in sorted(served.displayed)])
        assert lists[0] != lists[1]


class _CountingDnn:
    """Stands in for a fitted `TwoTowerSource`: records the histories it is folded in on and
    scores as popularity does."""

    def __init__(self, model: Popularity) -> None:
        self.model, self.lengths = model, []  # type: ignore[var-annotated]

    def folded_in(self, histories: dict[int, InteractionLog]) -> Popularity:
        self.lengths.append({len(h) for h in histories.values()})
        return self.model


def test_cold_slices_report_each_dnn_alone_on_the_cut_histories(cache: EmbeddingCache) -> None:
    log = clustered_log()
    catalog = _catalog(log, np.zeros(40))
    logs = split(implicit_positives(log), "random-811")
    m = to_matrices(logs, catalog)
    tuned = {n: tune(n, m.train, m.valid, grid=g) for n, g in GRIDS.items()}
    tuned["popularity"] = tune("popularity", m.train, m.valid)
    run = ServedEvaluation(logs, m, catalog, tuned, cache.encode, FeedConfig())
    dnn = _CountingDnn(tuned["popularity"].model)
    rows = cold_slices(run, tuned, catalog, {"two-tower": dnn})  # type: ignore[dict-item]
    assert {"cold-1 two-tower", "cold-2 two-tower", "cold-5 two-tower"} <= set(rows)
    assert "cold-0 two-tower" not in rows
    assert dnn.lengths == [{1}, {2}, {5}]


def test_served_ranked_row_is_named_in_reports(report: Report) -> None:
    assert RANKED in report.params


class _BlasThreads:
    """A candidate source that records the BLAS thread count each time it is asked."""

    name = "blas_probe"

    def __init__(self) -> None:
        self.seen: list[int] = []

    def fetch(self, ctx, limit):  # type: ignore[no-untyped-def]
        self.seen += [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
        return []


def test_serves_with_one_blas_thread_as_the_feed_does(cache: EmbeddingCache) -> None:
    """`/feed` limits BLAS to one thread (`api.feed_setup`); the evaluation must serve the same way
    (a second thread made the content source's mat-vec ~40x slower on 2 cores)."""
    log = clustered_log()
    logs = split(implicit_positives(log), "temporal")
    catalog = as_of_cut(_catalog(log, np.zeros(40)), log, logs, "temporal")
    m = to_matrices(logs, catalog)
    tuned = {n: tune(n, m.train, m.valid, grid=g) for n, g in GRIDS.items()}
    run = ServedEvaluation(logs, m, catalog, tuned, cache.encode, FeedConfig())
    probe = _BlasThreads()
    run.sources = [*run.sources, probe]
    with threadpool_limits(2, user_api="blas"):
        run.serve(np.flatnonzero(np.diff(m.test.indptr) > 0)[:3], run.full_history, {})
    assert probe.seen
    assert set(probe.seen) == {BLAS_THREADS} == {1}
