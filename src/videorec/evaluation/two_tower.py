"""The models stage's DNNs (`videorec.training.fit`) as `Recommender`s: `two-tower` and `sasrec`.

Each trains on the training part of the split as an `InteractionLog` (so it sees kinds, ratings
and times, not only the binary matrix), validates on the validation part, and scores every item
with `score_all`. `two-tower` is the default user tower (pooled history, `holdout` examples);
`sasrec` swaps in the self-attention user encoder over time-ordered examples. The run's seed
seeds the training. Imported lazily: evaluation works without the models stage, and
both are then refused with a clear message.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from videorec.errors import InvalidInput
from videorec.features.log import InteractionLog, PostCatalog

UNKNOWN = -1e9
VARIANTS: dict[str, dict[str, Any]] = {
    "two-tower": {},
    "sasrec": {
        "features": {"history_length": 50},
        "two_tower": {
            "user_encoder": "sasrec",
            "history": "sequence",
            # one causal pass per 50-event window: ~13 s an epoch on the demo (1 thread); at
            # lr 0.01 validation sat on popularity's 0.10 and patience 3 stopped it at epoch 5,
            # at 0.001 it climbed to 0.185 by epoch 18 (bench/results/2026-11-27-sasrec.md)
            "learning_rate": 0.001,
            "epochs": 40,
            "patience": 5,
            # its figures were measured with this average; 0.99 (the default since) was
            # chosen on the pool tower only
            "average": 0.95,
            # one model, as its figures were measured (an epoch costs ~13 s here)
            "members": 1,
        },
    },
    # the default two-tower is a pair of them (`two_tower.members`): one alone, for comparison
    "two-tower-single": {"two_tower": {"members": 1}},
    # a learned per-post bias (bench/results/2026-11-28-quality-g.md): on trial beside the
    # default before it may become one
    "two-tower-bias": {"two_tower": {"post_bias": True}},
}
"""Evaluation row name -> overrides of the default `TrainConfig`."""


def training_api() -> Any:
    """The `videorec.training.fit` module; raises `InvalidInput` when it is not installed."""
    try:
        return importlib.import_module("videorec.training.fit")
    except ImportError as exc:
        raise InvalidInput("two-tower needs videorec.training.fit (the models stage)") from exc


def variant_config(name: str, seed: int, base: Mapping[str, Any] | None = None) -> Any:
    """The `TrainConfig` of an evaluation row: the row's overrides (`VARIANTS`) on `base` (a
    training config as a dict, e.g. the one `videorec train` ships; None: the code defaults),
    seeded with the run's seed."""
    config = importlib.import_module("videorec.training.config")
    overrides = _merged(dict(base or {}), {**VARIANTS[name], "seed": seed})
    return config.TrainConfig.model_validate(overrides)


def _merged(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """`over` on `base`, section by section (a section's other fields are kept)."""
    out = dict(base)
    for key, value in over.items():
        inner = out.get(key)
        out[key] = (
            _merged(inner, value)
            if isinstance(value, Mapping) and isinstance(inner, dict)
            else value
        )
    return out


class TwoTowerSource:
    """`fit` ignores the matrix and trains on the logs given at construction.

    Args:
        train_log, valid_log: the split's events (all kinds).
        catalog: the posts.
        user_ids, item_ids: upstream ids of the matrix rows and columns.
        seed: the run's seed (training is seeded with it).
        name: `two-tower` or `sasrec` (see `VARIANTS`).
        config: a `TrainConfig` to use instead of the variant's (experiments).
        base_config: the training config the variant's overrides apply to, as a dict
            (`videorec evaluate` passes the one `videorec train` uses; None: code defaults).
        text_encoder: texts -> vectors for the post texts (the evaluation's cached encoder, so
            the runs and DNNs of one evaluation encode the catalogue once; None: `fit`'s own).
    """

    def __init__(
        self,
        train_log: InteractionLog,
        valid_log: InteractionLog,
        catalog: PostCatalog,
        user_ids: npt.NDArray[np.int64],
        item_ids: npt.NDArray[np.int64],
        *,
        seed: int = 0,
        name: str = "two-tower",
        config: Any = None,
        base_config: Mapping[str, Any] | None = None,
        text_encoder: Callable[[list[str]], npt.NDArray[np.float32]] | None = None,
    ) -> None:
        self.train_log, self.valid_log, self.catalog = train_log, valid_log, catalog
        self.user_ids, self.item_ids = user_ids, item_ids
        self.name = name
        self.config = config if config is not None else variant_config(name, seed, base_config)
        self.text_encoder = text_encoder
        self.model: Any = None
        self.histories: list[InteractionLog] = []
        self.columns = np.zeros(0, np.int64)

    def fit(self, train: sp.csr_matrix) -> None:
        self.model = training_api().fit(
            self.train_log, self.catalog, self.config, validation=self.valid_log,
            text_encoder=self.text_encoder,
        )  # fmt: skip
        ordered = self.train_log.sorted_by_time()
        self.histories = [ordered.select(ordered.user_ids == u) for u in self.user_ids]
        self.columns = np.searchsorted(self.item_ids, np.asarray(self.model.post_ids))

    def describe(self) -> dict[str, Any]:
        """The fit's own validation figures, for the report's params: how the user towers are
        compared on validation (never on the test users), and up to how many events the
        short-history tower serves (0: dropped or off). For a pair or more of two-towers
        (`two_tower.members`), `best_epoch` and `epochs` are lists, one entry per member."""
        epochs: list[dict[str, float]] = self.model.metrics["two_tower_epochs"]
        members = sorted({int(e.get("member", 0)) for e in epochs})
        each = [[e for e in epochs if int(e.get("member", 0)) == k] for k in members]
        best = [int(max(m, key=lambda e: e["ndcg@10"])["epoch"]) for m in each]
        valid: dict[str, float] = self.model.metrics["model"]
        short: dict[str, Any] = self.model.metrics.get("selection", {}).get("short_history", {})
        return {
            "validation_ndcg@10": round(float(valid["ndcg@10"]), 5),
            **{
                f"validation_{k}": round(float(v), 5)
                for k, v in valid.items()
                if k.startswith("cold")
            },
            "best_epoch": best if len(best) > 1 else (best or [0])[0],
            "epochs": [len(m) for m in each] if len(each) > 1 else len(epochs),
            "short_history_events": int(short.get("max_events", 0)),
        }

    def scores(self, users: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        return self.score_histories(
            [int(u) for u in self.user_ids[users]], [self.histories[u] for u in users]
        )

    def score_histories(
        self, user_ids: list[int | None], histories: list[InteractionLog]
    ) -> npt.NDArray[np.float32]:
        """Scores of every matrix column for the given users and histories (None: a user the
        model never saw; columns the model has no post for get `UNKNOWN`)."""
        out = np.full((len(histories), len(self.item_ids)), UNKNOWN, np.float32)
        out[:, self.columns] = self.model.score_all(user_ids, histories)
        return out

    def folded_in(self, histories: dict[int, InteractionLog]) -> FoldedIn:
        """This fitted model scoring other histories (upstream user id -> events), each as a
        user it never saw: how it serves a new user or one with 1-2 events, without retraining."""
        return FoldedIn(self, histories)


class FoldedIn:
    """A fitted `TwoTowerSource` that scores given (e.g. cut) histories as unknown users, so no
    user embedding trained on the whole history leaks in. Users without one get an empty one.
    """

    def __init__(self, source: TwoTowerSource, histories: dict[int, InteractionLog]) -> None:
        self.name, self.source, self.histories = source.name, source, histories

    def fit(self, train: sp.csr_matrix) -> None:
        """Fitted already."""

    def scores(self, users: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        ids = [int(u) for u in self.source.user_ids[users]]
        empty = InteractionLog.empty()
        return self.source.score_histories(
            [None] * len(ids), [self.histories.get(u, empty) for u in ids]
        )
