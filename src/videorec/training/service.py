"""Train on the stored data, save the artifact and register it: what `videorec train` and
`videorec up` share.

A model is activated only when it beats popularity on validation NDCG@10 (or when forced). Its
metrics record how many interactions it was trained on, so `videorec up` can tell whether the
stored data changed since the active model was trained.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
import torch
from sqlalchemy import Engine

from videorec.errors import InvalidInput
from videorec.features.counters import as_of
from videorec.features.text import EmbeddingCache
from videorec.kit.db import make_sessionmaker
from videorec.serving.config import load_feed_config
from videorec.serving.extras import save_extras
from videorec.settings import Settings
from videorec.storage.repositories import logs, model_versions
from videorec.training.artifact import save_artifact
from videorec.training.config import TrainConfig
from videorec.training.fit import device_for, fit
from videorec.training.lists_beside import ListsBeside
from videorec.training.model import LoadedModel
from videorec.training.observer import Observer, SilentObserver
from videorec.training.onnx_export import export_onnx
from videorec.training.serving_extras import fit_serving_extras
from videorec.training.split import temporal_split

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class TrainResult:
    """What one training run produced."""

    version: str
    folder: Path
    metrics: dict[str, Any]
    activated: bool


def count_interactions(engine: Engine) -> int:
    """How many interactions are stored now."""
    with make_sessionmaker(engine)() as session:
        return logs.count_interactions(session)


def newest_is_current(engine: Engine) -> bool:
    """Whether the newest registered model was trained on exactly the interactions stored now.

    Active or not: a model that lost to popularity on this data would lose again.
    """
    with make_sessionmaker(engine)() as session:
        versions = model_versions.list_all(session)
        stored = logs.count_interactions(session)
    if not versions:
        return False
    return bool(versions[0].metrics.get("trained_on", {}).get("interactions") == stored)


def train_and_register(
    settings: Settings,
    engine: Engine,
    config: TrainConfig,
    *,
    device: str = "cpu",
    force: bool = False,
    observer: Observer | None = None,
) -> TrainResult:
    """Fit both models on every stored interaction, save the artifact, register it.

    Beside the model the artifact holds the feed's neighbour lists and the blend weights learned
    on the validation part (`training/serving_extras.py`), unless `[serving_extras] enabled` is
    off. Post counters are computed from the
    training part (`features/counters.py`): upstream totals would carry the validation future.

    Raises:
        InvalidInput: an unknown or unavailable device, or nothing to train on.
        ConfigurationError: the feed config file named in the settings cannot be read.
    """
    device_for(device)  # a bad --device is said before minutes of loading, not after them
    feed_config = load_feed_config(settings.feed_config)  # so is a bad feed config file
    if config.threads:
        torch.set_num_threads(config.threads)
    with make_sessionmaker(engine)() as session:
        interactions, catalog = logs.load_interactions(session), logs.load_catalog(session)
    if len(interactions) == 0:
        raise InvalidInput("no interactions stored: run `videorec sync` (or load demo data) first")
    cache = EmbeddingCache(settings.embedding_cache, threads=config.features.text_threads)
    train, validation = temporal_split(interactions, config.split.validation_fraction)
    catalog = as_of(catalog, train)  # counters as of the cut: upstream totals carry the future
    lists = ListsBeside(train, validation, catalog, config)
    try:
        watched = lists.watching(observer or SilentObserver())  # starts the lists' child
        model = fit(train, catalog, config, device=device, validation=validation,
                    text_encoder=cache, observer=watched)  # fmt: skip
        cache.save()
        model.metrics["trained_on"] = {"interactions": len(interactions), "posts": len(catalog)}
        extras = None
        if config.serving_extras.enabled:
            extras = fit_serving_extras(train, validation, catalog, model, feed_config,
                                        cache.encode, seed=config.seed,
                                        lists=lists.result())  # fmt: skip
            cache.save()
            model.metrics["serving"] = {"weights": extras.weights, **extras.info}
    finally:
        lists.stop()  # a failed fit leaves no child behind
    folder = save_artifact(model, settings.models_dir)
    if extras is not None:
        save_extras(folder, extras)
    _export_onnx(folder, model)
    activate = should_activate(model.metrics, force=force)
    with make_sessionmaker(engine).begin() as session:
        model_versions.register(session, version=model.version, path=str(folder),
                                metrics=model.metrics, config=config.model_dump())  # fmt: skip
        if activate:
            model_versions.activate(session, model.version)
    return TrainResult(model.version, folder, model.metrics, activate)


def _export_onnx(folder: Path, model: LoadedModel) -> None:
    """Add the ONNX export the feed serves from (no torch in the server); without it (an export
    that failed its check, say) the feed falls back to PyTorch, so a failure only warns."""
    try:
        export_onnx(folder, model)
    except Exception as exc:
        log.warning("onnx_export_failed", folder=str(folder), error=f"{type(exc).__name__}: {exc}")


def should_activate(metrics: dict[str, Any], *, force: bool = False) -> bool:
    """Activate only a model whose validation NDCG@10 beats popularity's, unless forced."""
    return force or metrics["model"]["ndcg@10"] > metrics["popularity"]["ndcg@10"]
