"""`fit`: from an interaction log and a catalogue to a `LoadedModel`, with no database.

Steps: temporal hold-out (when no validation log is given) -> fit the feature pipeline on the
training part -> post table with text embeddings -> two-tower recipe -> ranker recipe -> ANN
index. Validation metrics of the model and of the popularity baseline go into `model.metrics`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import structlog
import torch

from videorec.errors import InvalidInput
from videorec.features.log import InteractionLog, PostCatalog
from videorec.features.pipeline import FeaturePipeline, PostTable
from videorec.features.signals import SignalWeights
from videorec.features.text import EmbeddingCache
from videorec.models import builders
from videorec.models.ranker import Ranker
from videorec.models.two_tower import TwoTower
from videorec.training.config import TrainConfig
from videorec.training.data import EventArrays
from videorec.training.metrics import evaluate_scores, popularity_scores
from videorec.training.model import LoadedModel
from videorec.training.observer import Observer, SilentObserver
from videorec.training.recipes.ranker import train_ranker
from videorec.training.recipes.two_tower import train_two_tower
from videorec.training.split import ValidationSet, temporal_split, validation_set

log = structlog.get_logger(__name__)
TextEncoder = Callable[[list[str]], npt.NDArray[np.float32]]


def fit(
    train: InteractionLog,
    catalog: PostCatalog,
    config: TrainConfig | None = None,
    *,
    device: str = "cpu",
    validation: InteractionLog | None = None,
    text_encoder: TextEncoder | None = None,
    observer: Observer | None = None,
    max_steps: int | None = None,
) -> LoadedModel:
    """Train both models; see the `videorec.training` docstring for the contract."""
    config = config or TrainConfig()
    observer = observer or SilentObserver()
    if len(train) == 0 or len(catalog) == 0:
        raise InvalidInput("cannot train on an empty interaction log or catalogue")
    if validation is None:
        train, validation = temporal_split(train, config.split.validation_fraction)
    torch.manual_seed(config.seed)
    target = _device(device)
    pipeline = FeaturePipeline.fit(
        train, catalog, signals=_signals(config), **_feature_args(config)
    )
    table = pipeline.post_table(catalog, _text(catalog, config, text_encoder))
    valid = validation_set(
        train, validation, table.post_ids, pipeline.signals,
        max_users=config.split.max_validation_users, seed=config.seed,
    )  # fmt: skip
    events = EventArrays.build(train, pipeline, table)
    sizes = _sizes(pipeline, table)
    tensors = {k: torch.from_numpy(v).to(target) for k, v in _table_tensors(table).items()}
    two_tower = builders.two_tower(tensors, **sizes, **_tower_args(config)).to(target)
    baseline = _baseline(train, table, pipeline.signals, valid)
    tower_history = train_two_tower(
        two_tower, events, pipeline, config.two_tower,
        validate=lambda m: _validate(_assemble(config, pipeline, table, m, None), valid),
        observer=observer, seed=config.seed, device=target, max_steps=max_steps,
    )  # fmt: skip
    ranker: Ranker | None = None
    ranker_history: list[dict[str, float]] = []
    if config.ranker.enabled:
        ranker = builders.ranker(tensors, **sizes, **_ranker_args(config)).to(target)
        ranker_history = train_ranker(
            ranker, events, pipeline, config.ranker, n_rows=len(table.id_rows),
            validate=lambda r: _validate(_assemble(config, pipeline, table, two_tower, r), valid),
            observer=observer, seed=config.seed, device=target, max_steps=max_steps,
        )  # fmt: skip
    model = _assemble(config, pipeline, table, two_tower, ranker, with_index=True)
    model.metrics = _final_metrics(model, valid, baseline, tower_history, ranker_history, train)
    log.info("fit_finished", **model.metrics["model"])
    return model


def _device(name: str) -> torch.device:
    if name == "cuda" and not torch.cuda.is_available():
        raise InvalidInput("--device cuda was asked for but no CUDA device is available")
    if name not in {"cpu", "cuda"}:
        raise InvalidInput(f"unknown device {name!r} (cpu or cuda)")
    return torch.device(name)


def _signals(config: TrainConfig) -> SignalWeights:
    f = config.features
    return SignalWeights(
        view=f.view, like=f.like, inspire=f.inspire, high_rating=f.high_rating,
        low_rating=f.low_rating, high_from=f.high_from, low_below=f.low_below,
    )  # fmt: skip


def _feature_args(config: TrainConfig) -> dict[str, Any]:
    f = config.features
    return {
        "min_count": f.min_count,
        "history_length": f.history_length,
        "recency_half_life_days": f.recency_half_life_days,
        "max_moods": f.max_moods,
    }


def _text(
    catalog: PostCatalog, config: TrainConfig, encoder: TextEncoder | None
) -> npt.NDArray[np.float32] | None:
    if not config.features.use_text:
        return None
    return (encoder or EmbeddingCache().encode)(list(catalog.texts))


def _table_tensors(table: PostTable) -> dict[str, npt.NDArray[Any]]:
    return {"id_rows": table.id_rows, "creator_rows": table.creator_rows,
            "category_rows": table.category_rows, "mood_rows": table.mood_rows,
            "dense": table.dense, "text": table.text}  # fmt: skip


def _sizes(pipeline: FeaturePipeline, table: PostTable) -> dict[str, Any]:
    return {"n_users": len(pipeline.users), "n_ids": len(pipeline.posts),
            "n_creators": len(pipeline.creators), "n_categories": len(pipeline.categories),
            "n_moods": len(pipeline.moods)}  # fmt: skip


def _tower_args(config: TrainConfig) -> dict[str, Any]:
    t = config.two_tower
    return {"dim": t.dim, "hidden": t.hidden, "out_dim": t.out_dim, "dropout": t.dropout,
            "sparse": True}  # fmt: skip


def _ranker_args(config: TrainConfig) -> dict[str, Any]:
    r = config.ranker
    return {"dim": r.dim, "hidden": r.hidden, "dropout": r.dropout, "sparse": True}


def _assemble(
    config: TrainConfig, pipeline: FeaturePipeline, table: PostTable,
    two_tower: TwoTower, ranker: Ranker | None, *, with_index: bool = False,
) -> LoadedModel:  # fmt: skip
    return LoadedModel(
        version="unsaved", config=config, pipeline=pipeline, table=table,
        two_tower=two_tower, ranker=ranker, index=None if with_index else _NO_INDEX,
    )  # fmt: skip


_NO_INDEX = object()
"""Placeholder index while training (validation scores the whole catalogue, no ANN needed)."""


def _validate(model: LoadedModel, valid: ValidationSet) -> dict[str, float]:
    if len(valid) == 0:
        return {"ndcg@10": 0.0}
    scores = model.score_all(valid.user_ids, valid.histories)
    return evaluate_scores(scores, model.post_ids, valid)


def _baseline(
    train: InteractionLog, table: PostTable, signals: SignalWeights, valid: ValidationSet
) -> dict[str, float]:
    if len(valid) == 0:
        return {"ndcg@10": 0.0}
    scores = popularity_scores(train, table.post_ids, signals, len(valid))
    return evaluate_scores(scores, table.post_ids, valid)


def _final_metrics(
    model: LoadedModel, valid: ValidationSet, baseline: dict[str, float],
    tower: list[dict[str, float]], ranker: list[dict[str, float]], train: InteractionLog,
) -> dict[str, Any]:  # fmt: skip
    return {
        "model": _validate(model, valid),
        "popularity": baseline,
        "two_tower_epochs": tower,
        "ranker_epochs": ranker,
        "validation_users": len(valid),
        "train_interactions": len(train),
    }
