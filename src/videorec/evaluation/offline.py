"""One evaluation: split, tune every model on validation, measure on test, repeat over seeds.

All models see the same split in a run, and every post feature is computed as of its cut:
counters come from the training log (`features/counters.py`), never from upstream totals. Test
metrics rank every item for each user with their training and validation items excluded;
tuning ranks with training items excluded against the validation items. Models are fitted on
train only (RecBole's protocol), so validation-tuned choices carry over to test unchanged.
Under `temporal` every run sees the same split, so the configurations chosen in the first run
are refitted with each later run's seed, not re-searched.

"Ours" is `served`: the feed `/feed` serves, run through the real serving code
(`evaluation/served.py`). `offline-blend` is a reference row only.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import structlog

from videorec.errors import InvalidInput
from videorec.evaluation.baselines.base import Recommender
from videorec.evaluation.blend import Blend
from videorec.evaluation.datasets import implicit_positives, min_positive_rating
from videorec.evaluation.matrix import SplitMatrices, to_matrices
from videorec.evaluation.oracle import Oracle, load_truth
from videorec.evaluation.scoring import measure
from videorec.evaluation.served import (
    LIST_MODELS,
    RANKED,
    ServedEvaluation,
    cold_slices,
    describe,
    served_rows,
)
from videorec.evaluation.splits import SplitLogs, split
from videorec.evaluation.tuning import GRIDS, Tuned, tune
from videorec.evaluation.two_tower import TwoTowerSource
from videorec.features.counters import as_of
from videorec.features.log import InteractionLog, PostCatalog
from videorec.features.text import EmbeddingCache
from videorec.serving.config import FeedConfig
from videorec.serving.index import Encoder

log = structlog.get_logger(__name__)

BASELINES = ("popularity", "item-knn", "ease", "als")
SERVED = "served"
"""Ours: the feed `/feed` serves (rows `served-ranked`, `served-displayed`, cold slices)."""
BLEND = "offline-blend"
"""A reference row: the offline blend of full-catalogue scores, which `/feed` does not serve."""
TWO_TOWER = "two-tower"
SASREC = "sasrec"
TWO_TOWER_BIAS = "two-tower-bias"
TWO_TOWER_SINGLE = "two-tower-single"
MODELS = (*BASELINES, SERVED, BLEND)
OPTIONAL = (TWO_TOWER, SASREC, TWO_TOWER_BIAS, TWO_TOWER_SINGLE)
"""Models run only when asked for (`--models ...,two-tower,sasrec`); then also sources of the
blend, and the served feed's model. `two-tower-bias` is the two-tower with
`two_tower.post_bias`, an option on trial (off by default); `two-tower-single` is one two-tower
where the default (`two-tower`) is a pair of them (`two_tower.members`)."""
ALIASES = {"ours": SERVED}
ORACLE_FRACTION = "ndcg@10/oracle"
BLEND_SOURCES = ("ease", "rp3beta", "item-knn", "als", "popularity")
"""The candidate sources the blend mixes, tuned like the baselines."""


@dataclass
class Report:
    """Everything one `videorec evaluate` measured.

    Attributes:
        values: model -> metric -> one test value per run.
        params: model -> the chosen configuration of each run.
        info: data set, protocol and split sizes.
    """

    dataset: str
    protocol: str
    seeds: list[int]
    values: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    params: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, dict[str, tuple[float, float]]]:
        """model -> metric -> (mean, standard deviation over runs)."""
        return {
            model: {m: (float(np.mean(v)), float(np.std(v))) for m, v in metrics.items()}
            for model, metrics in self.values.items()
        }


Progress = Callable[[str], None]


def evaluate(
    events: InteractionLog,
    catalog: PostCatalog,
    *,
    dataset: str,
    protocol: str,
    models: tuple[str, ...] = MODELS,
    runs: int = 3,
    seed: int = 0,
    progress: Progress | None = None,
    truth_dir: Path | None = None,
    encoder: Encoder | None = None,
    feed_config: FeedConfig | None = None,
    slices: bool = True,
    train_config: Mapping[str, Any] | None = None,
) -> Report:
    """Run the whole comparison `runs` times with seeds seed, seed+1, ...

    With `truth_dir` (a generated demo directory whose truth the generator's package can read),
    the oracle is measured too, and each model's NDCG@10 as a fraction of the oracle's.
    `encoder` embeds post texts for the served feed (default: the packaged sentence model,
    uncached); `slices` adds the cold-start slices to the served rows; `train_config` (a
    training config as a dict; None: the code defaults) is what the DNN rows train with, under
    each row's own overrides.
    """
    truth = load_truth(truth_dir)
    reuse: dict[str, dict[str, Any]] = {}
    models = tuple(dict.fromkeys(ALIASES.get(m, m) for m in models))
    served = _Served(encoder or EmbeddingCache().encode, feed_config or FeedConfig(), slices)
    unknown = sorted(set(models) - set(MODELS) - set(OPTIONAL))
    if unknown:
        names = ", ".join((*MODELS, *OPTIONAL))
        raise InvalidInput(f"unknown models {unknown}; choose from {names}")
    positives = implicit_positives(events, min_positive_rating(dataset))
    if len(positives) == 0:
        raise InvalidInput(f"the {dataset} data set has no positive interactions")
    report = Report(dataset, protocol, [seed + r for r in range(runs)])
    for run_seed in report.seeds:
        logs = split(positives, protocol, run_seed)
        known = as_of_cut(catalog, events, logs, protocol)
        matrices = to_matrices(logs, known)
        extra = _optional_models(models, logs, known, matrices, run_seed, served.encoder,
                                 train_config)  # fmt: skip
        report.info = _split_info(matrices)
        chosen = reuse if protocol == "temporal" else {}
        run = _Run(logs, matrices, known, run_seed, served)
        _one_run(report, run, models, progress or (lambda _: None), chosen, extra)
        if truth is not None:
            _oracle_run(report, matrices, Oracle(*truth, matrices.user_ids, matrices.item_ids))
    return report


@dataclass(frozen=True)
class _Served:
    """How the served feed is evaluated: text encoder, feed config, and whether to slice."""

    encoder: Encoder
    config: FeedConfig
    slices: bool


@dataclass(frozen=True)
class _Run:
    """One run's split, matrices, catalogue as of the cut, seed and served-feed settings."""

    logs: SplitLogs
    m: SplitMatrices
    catalog: PostCatalog
    seed: int
    served: _Served


def as_of_cut(
    catalog: PostCatalog, events: InteractionLog, logs: SplitLogs, protocol: str
) -> PostCatalog:
    """The catalogue with counters from what the training part may know.

    Temporal: every raw event (all kinds, low ratings too) up to the cut. Random-811 has no cut
    in time: the training part's events.
    """
    if protocol == "temporal" and len(logs.train):
        return as_of(catalog, events, cut=int(logs.train.timestamps.max()))
    return as_of(catalog, logs.train)


def _one_run(
    report: Report,
    run: _Run,
    models: tuple[str, ...],
    progress: Progress,
    chosen: dict[str, dict[str, Any]],
    extra: dict[str, Recommender],
) -> None:
    """Tune (or, with `chosen` filled by an earlier run on the same split, refit), then test."""
    m, seed = run.m, run.seed
    needed = set(models) | (set(BLEND_SOURCES) if BLEND in models else set())
    needed |= {*LIST_MODELS, "popularity"} if SERVED in models else set()
    tuned: dict[str, Tuned] = {}
    for name in [b for b in (*BASELINES, "rp3beta") if b in needed]:
        progress(f"seed {seed}: tuning {name} ({len(GRIDS[name])} configurations)")
        grid = [chosen[name]] if name in chosen else None
        tuned[name] = tune(name, m.train, m.valid, grid=grid, seed=seed)
        chosen[name] = tuned[name].params
    exclude = (m.train + m.valid).tocsr()
    for name in models:
        if name == SERVED:
            _served_run(report, run, tuned, extra, progress)
            continue
        if name == BLEND:
            progress(f"seed {seed}: learning the blend of {', '.join(BLEND_SOURCES)}")
            blend = Blend([tuned[s].model for s in BLEND_SOURCES] + list(extra.values()), BLEND)
            blend.learn(m.train, m.valid, seed)
            params = dict(blend.describe())
            values = measure(blend, m.test, exclude, m.train).values
        elif name in extra:
            source = extra[name]
            params = source.describe() if isinstance(source, TwoTowerSource) else {}
            values = measure(extra[name], m.test, exclude, m.train).values
        else:
            params = tuned[name].params
            values = measure(tuned[name].model, m.test, exclude, m.train).values
        _record(report, name, values, params, seed)


def _served_run(
    report: Report,
    run: _Run,
    tuned: dict[str, Tuned],
    extra: dict[str, Recommender],
    progress: Progress,
) -> None:
    """The served feed on the test users, then (if asked) on the cold-start slices."""
    progress(f"seed {run.seed}: serving the feed (sources, rank, pages) to the test users")
    started = time.perf_counter()
    two_tower = extra.get(TWO_TOWER)
    served = ServedEvaluation(
        run.logs, run.m, run.catalog, tuned, run.served.encoder, run.served.config,
        model=getattr(two_tower, "model", None), seed=run.seed,
    )  # fmt: skip
    rows = served_rows(served, np.flatnonzero(np.diff(run.m.test.indptr) > 0))
    if run.served.slices:
        progress(f"seed {run.seed}: cold-start slices")
        dnns = {n: s for n, s in extra.items() if isinstance(s, TwoTowerSource)}
        rows |= cold_slices(served, tuned, run.catalog, dnns)
    seconds = round(time.perf_counter() - started, 1)  # the served feed's own cost, in params
    for name, values in rows.items():
        params = {**describe(served), "seconds": seconds} if name == RANKED else {}
        _record(report, name, values, params, run.seed)


def _optional_models(
    models: tuple[str, ...],
    logs: SplitLogs,
    catalog: PostCatalog,
    m: SplitMatrices,
    seed: int,
    encoder: Encoder,
    train_config: Mapping[str, Any] | None,
) -> dict[str, Recommender]:
    """The optional models asked for, fitted on this run's training part with its seed (post
    texts through the evaluation's one encoder, which keeps what it encoded)."""
    fitted: dict[str, Recommender] = {}
    for name in [n for n in OPTIONAL if n in models]:
        source = TwoTowerSource(
            logs.train, logs.valid, catalog, m.user_ids, m.item_ids, seed=seed, name=name,
            text_encoder=encoder, base_config=train_config,
        )  # fmt: skip
        source.fit(m.train)
        fitted[name] = source
    return fitted


def _oracle_run(report: Report, m: SplitMatrices, oracle: Oracle) -> None:
    exclude = (m.train + m.valid).tocsr()
    values = measure(oracle, m.test, exclude, m.train).values
    _record(report, oracle.name, values, {}, seed=-1)
    best = values["ndcg@10"]
    for name, metrics in report.values.items():
        if name != oracle.name and best > 0:
            fraction = metrics["ndcg@10"][-1] / best
            metrics.setdefault(ORACLE_FRACTION, []).append(fraction)


def _record(
    report: Report, name: str, values: dict[str, float], params: dict[str, Any], seed: int
) -> None:
    for metric, value in values.items():
        report.values.setdefault(name, {}).setdefault(metric, []).append(value)
    report.params.setdefault(name, []).append(params)
    log.debug("evaluated", model=name, seed=seed, ndcg10=values["ndcg@10"])


def _split_info(m: SplitMatrices) -> dict[str, Any]:
    return {
        "users": int(m.train.shape[0]),
        "items": m.n_items,
        "train": int(m.train.nnz),
        "valid": int(m.valid.nnz),
        "test": int(m.test.nnz),
        "test_users": int((np.diff(m.test.indptr) > 0).sum()),
        "dropped_users": m.dropped_users,
    }
