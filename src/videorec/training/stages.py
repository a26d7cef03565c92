"""The stages of `fit`, in the order it runs them.

prepare features -> retrieval -> short histories -> ranker -> select -> assemble. Each stage
takes what the earlier ones produced and reports progress through the `Observer` (the first-time
text encoding too, the slowest step of a fresh install).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from videorec.features.log import InteractionLog, PostCatalog
from videorec.features.pipeline import FeaturePipeline, PostTable
from videorec.features.text import EmbeddingCache, by_length
from videorec.models import builders
from videorec.models.ensemble import Retrieval, TwoTowerEnsemble, lead_tower
from videorec.models.ranker import Ranker
from videorec.models.short_history import ShortHistoryTower
from videorec.models.two_tower import TwoTower
from videorec.training.config import TrainConfig
from videorec.training.data import EventArrays
from videorec.training.members import processes_for, train_members
from videorec.training.metrics import (
    ROWS_AT_ONCE,
    evaluate_scores,
    popularity_scores,
    ranked_unseen,
    ranking_metrics,
)
from videorec.training.model import LoadedModel
from videorec.training.observer import Observer
from videorec.training.recipes.ranker import train_ranker
from videorec.training.recipes.short_history import dispatch_threshold, train_short_history
from videorec.training.recipes.two_tower import STAGE, full_softmax, train_two_tower
from videorec.training.split import ValidationSet, validation_set

TextEncoder = Callable[[list[str]], npt.NDArray[np.float32]]
TEXT_STAGE = "text"
TEXT_CHUNK = 256
"""Texts per encoder call while reporting progress (one `on_step` per chunk)."""


@dataclass
class Prepared:
    """What every later stage reads: fitted features, the post table, examples, validation."""

    config: TrainConfig
    pipeline: FeaturePipeline
    table: PostTable
    events: EventArrays
    valid: ValidationSet
    tensors: dict[str, torch.Tensor]
    sizes: dict[str, Any]
    device: torch.device
    popularity: dict[str, float]
    train_interactions: int


@dataclass
class Trained:
    """The retrieval model, the short-history tower and the ranker (None when disabled or
    dropped) and how they did."""

    two_tower: Retrieval
    ranker: Ranker | None = None
    short_tower: ShortHistoryTower | None = None
    retrieval_epochs: list[dict[str, float]] = field(default_factory=list)
    retrieval_served: dict[str, float] | None = None
    """The ensemble's own validation metrics (None for one two-tower: its best epoch's)."""
    short_history_epochs: list[dict[str, float]] = field(default_factory=list)
    ranker_epochs: list[dict[str, float]] = field(default_factory=list)
    selection: dict[str, Any] = field(default_factory=dict)


def prepare(
    train: InteractionLog,
    validation: InteractionLog,
    catalog: PostCatalog,
    config: TrainConfig,
    *,
    device: torch.device,
    text_encoder: TextEncoder | None,
    observer: Observer,
) -> Prepared:
    """Fit the feature pipeline on `train`, build the post table and the training examples."""
    pipeline = FeaturePipeline.fit(train, catalog, signals=config.features.signals(),
                                   **_feature_args(config))  # fmt: skip
    table = pipeline.post_table(catalog, _text(catalog, config, text_encoder, observer))
    valid = validation_set(
        train, validation, table.post_ids, pipeline.signals,
        max_users=config.split.max_validation_users, seed=config.seed,
    )  # fmt: skip
    tensors = {k: torch.from_numpy(v).to(device) for k, v in table_tensors(table).items()}
    return Prepared(
        config=config, pipeline=pipeline, table=table,
        events=EventArrays.build(train, pipeline, table), valid=valid, tensors=tensors,
        sizes=model_sizes(pipeline), device=device,
        popularity=_popularity(train, table, pipeline, valid, config.split.cold_events),
        train_interactions=len(train),
    )  # fmt: skip


def retrieval(prepared: Prepared, observer: Observer, max_steps: int | None) -> Trained:
    """Train the two-tower model with early stopping on validation NDCG@10; with
    `two_tower.members` > 1, that many, member k initialised and trained from seed `seed + k`,
    served as one ensemble (`models.ensemble`), side by side in processes of their own where
    the box has the cores (`training.members`). Each member's epochs carry its index. Member 0
    is the single model of the same seed, bit for bit, and so is every member trained in a
    process of its own to the one trained here."""
    p, t = prepared, prepared.config.two_tower

    def build() -> TwoTower:
        return builders.two_tower(
            p.tensors, **p.sizes, **tower_args(prepared.config), sparse=True
        ).to(p.device)

    def train_one(k: int, observer: Observer) -> tuple[TwoTower, list[dict[str, float]]]:
        if k > 0:  # member 0 starts from `fit`'s seeding, as a single model does
            torch.manual_seed(p.config.seed + k)
        member = build()
        stage = STAGE if t.members == 1 else f"{STAGE} {k + 1}/{t.members}"
        epochs = train_two_tower(
            member, p.events, p.pipeline, t, n_rows=len(p.table.id_rows),
            validate=lambda m: validate(assemble_model(p, m, None), p.valid),
            observer=observer, seed=p.config.seed + k, device=p.device, max_steps=max_steps,
            stage=stage,
        )  # fmt: skip
        return member, epochs

    processes = processes_for(t.members, t.member_processes, p.device)
    trained = train_members(t.members, train_one, build, observer, processes)
    if len(trained) == 1:
        return Trained(trained[0][0], retrieval_epochs=trained[0][1])
    epochs = [{**e, "member": k} for k, (_, member) in enumerate(trained) for e in member]
    ensemble = TwoTowerEnsemble([member for member, _ in trained])
    served = validate(assemble_model(p, ensemble, None), p.valid)
    return Trained(ensemble, retrieval_epochs=epochs, retrieval_served=served)


def short_history(
    prepared: Prepared, trained: Trained, observer: Observer, max_steps: int | None
) -> Trained:
    """Fine-tune the short-history user tower (when enabled and there are cold validation
    slices) and keep it for histories of 1..n events, n chosen on those slices
    (`dispatch_threshold`; 0: dropped). Its figures go to `selection`."""
    p, s = prepared, prepared.config.short_history
    cold_events = p.config.split.cold_events
    if not s.enabled or not cold_events or len(p.valid) == 0:
        return trained
    if not full_softmax(len(p.table.id_rows), p.config.two_tower):
        # its softmax runs over every post: above `full_softmax_up_to` that is not affordable
        skipped = "catalogue above full_softmax_up_to"
        trained.selection["short_history"] = {"kept": False, "max_events": 0, "skipped": skipped}
        return trained
    model = assemble_model(p, trained.two_tower, None)  # one for every epoch: the post side
    base = cold_metrics(model, p.valid, cold_events)  # and its vectors stay as they are

    def validate_short(short: ShortHistoryTower) -> dict[str, float]:
        model.short_tower = short
        return _cold_only(model, p.valid, cold_events)

    short, trained.short_history_epochs = train_short_history(
        lead_tower(trained.two_tower), p.events, s, temperature=p.config.two_tower.temperature,
        n_rows=len(p.table.id_rows), validate=validate_short, observer=observer,
        seed=p.config.seed, device=p.device, max_steps=max_steps,
    )  # fmt: skip
    best = max(trained.short_history_epochs, key=lambda e: e["ndcg@10"])
    events = dispatch_threshold(base, best, cold_events, s.min_gain)
    short.set_max_events(events)
    trained.short_tower = short if events > 0 else None
    trained.selection["short_history"] = {
        "kept": events > 0, "max_events": events,
        "two_tower": {k: v for k, v in base.items() if k.startswith("cold")},
        "short_tower": {k: v for k, v in best.items() if k.startswith("cold")},
    }  # fmt: skip
    return trained


def _cold_only(
    model: LoadedModel, valid: ValidationSet, cold_events: list[int]
) -> dict[str, float]:
    """The cold slices' metrics, their mean as "ndcg@10" (what early stopping reads)."""
    cold = cold_metrics(model, valid, cold_events)
    return {"ndcg@10": cold.get("cold_ndcg@10", 0.0), **cold}


def ranker(
    prepared: Prepared, trained: Trained, observer: Observer, max_steps: int | None
) -> Trained:
    """Train the ranker on the trained retrieval's candidates (when enabled)."""
    p, r = prepared, prepared.config.ranker
    if not r.enabled:
        return trained
    model = builders.ranker(p.tensors, **p.sizes, **ranker_args(p.config), sparse=True)
    model = model.to(p.device)
    trained.ranker_epochs = train_ranker(
        model, trained.two_tower, p.events, p.pipeline, r,
        history=p.config.two_tower.history, n_rows=len(p.table.id_rows),
        validate=lambda m: validate(
            assemble_model(p, trained.two_tower, m, short_tower=trained.short_tower), p.valid
        ),
        observer=observer, seed=p.config.seed, device=p.device, max_steps=max_steps,
    )  # fmt: skip
    trained.ranker = model
    return trained


def select(trained: Trained, min_gain: float) -> Trained:
    """Keep the ranker only when it beats retrieval alone on validation NDCG@10 by at least
    `min_gain` (a ranker that changes the order by noise only costs serving time)."""
    served = trained.retrieval_served
    alone = served["ndcg@10"] if served is not None else _best(trained.retrieval_epochs)
    with_ranker = _best(trained.ranker_epochs)
    keep = trained.ranker is not None and with_ranker > alone and with_ranker - alone >= min_gain
    trained.selection = {
        **trained.selection,
        "retrieval_ndcg@10": alone,
        "ranker_ndcg@10": with_ranker if trained.ranker is not None else None,
        "ranker_kept": keep,
    }
    if not keep:
        trained.ranker = None
    return trained


def assemble(prepared: Prepared, trained: Trained) -> LoadedModel:
    """The servable model with its ANN index and its validation metrics."""
    model = assemble_model(prepared, trained.two_tower, trained.ranker, with_index=True,
                           short_tower=trained.short_tower)  # fmt: skip
    model.metrics = {
        "model": validate(model, prepared.valid),
        "popularity": prepared.popularity,
        "two_tower_epochs": trained.retrieval_epochs,
        "short_history_epochs": trained.short_history_epochs,
        "ranker_epochs": trained.ranker_epochs,
        "selection": trained.selection,
        "validation_users": len(prepared.valid),
        "train_interactions": prepared.train_interactions,
    }
    return model


def assemble_model(
    prepared: Prepared,
    two_tower: Retrieval,
    ranker: Ranker | None,
    *,
    with_index: bool = False,
    short_tower: ShortHistoryTower | None = None,
) -> LoadedModel:
    """A `LoadedModel` around the given modules (no ANN index while training)."""
    p = prepared
    return LoadedModel(
        version="unsaved", config=p.config, pipeline=p.pipeline, table=p.table,
        two_tower=two_tower, ranker=ranker, index=None if with_index else _NO_INDEX,
        short_tower=short_tower,
    )  # fmt: skip


_NO_INDEX = object()
"""Placeholder index while training (validation scores the whole catalogue, no ANN needed)."""


def validate(model: LoadedModel, valid: ValidationSet) -> dict[str, float]:
    """Validation metrics of a model (NDCG@10 0 when there is nothing to validate on), with
    the cold slices' NDCG@10 beside them (`cold_metrics`)."""
    if len(valid) == 0:
        return {"ndcg@10": 0.0}
    warm = _model_metrics(model, list(valid.user_ids), valid)
    return {**warm, **cold_metrics(model, valid, model.config.split.cold_events)}


def _model_metrics(
    model: LoadedModel, user_ids: list[int | None], valid: ValidationSet
) -> dict[str, float]:
    """`valid`'s metrics of `model` scoring as `user_ids`, `ROWS_AT_ONCE` users at a time: the
    full-catalogue scores of every user at once were 0.8 GB for 200 users x 1M posts, and the
    1M training run peaked at 8.2 GB RSS in validation."""
    ranked = [
        ranked_unseen(model.score_all(user_ids[s : s + ROWS_AT_ONCE],
                                      valid.histories[s : s + ROWS_AT_ONCE]),
                      model.post_ids, valid.histories[s : s + ROWS_AT_ONCE])
        for s in range(0, len(user_ids), ROWS_AT_ONCE)
    ]  # fmt: skip
    return ranking_metrics(np.concatenate(ranked), valid.targets)


def cold_metrics(
    model: LoadedModel, valid: ValidationSet, cold_events: list[int]
) -> dict[str, float]:
    """NDCG@10 of the validation users with at least n events, their history cut to its first
    n and scored as users the model never saw (no user id: fold-in from the cut history
    alone), for each n of `cold_events`: `cold{n}_ndcg@10`, and their mean `cold_ndcg@10`.
    Slices without users are left out."""
    out = {}
    for n in cold_events:
        cut = valid.first_events(n)
        if len(cut) > 0:
            out[f"cold{n}_ndcg@10"] = _model_metrics(model, [None] * len(cut), cut)["ndcg@10"]
    if out:
        out["cold_ndcg@10"] = float(np.mean(list(out.values())))
    return out


def tower_args(config: TrainConfig) -> dict[str, Any]:
    """The two-tower builder's keyword arguments from the config."""
    t = config.two_tower
    return {"dim": t.dim, "hidden": t.hidden, "out_dim": t.out_dim, "dropout": t.dropout,
            "user_encoder": t.user_encoder, "user_id": t.user_id,
            "history_length": config.features.history_length, "layers": t.layers,
            "heads": t.heads, "init_std": t.init_std,
            "normalize": t.similarity == "cosine", "history_ids": t.history_ids,
            "post_bias": t.post_bias}  # fmt: skip


def ranker_args(config: TrainConfig) -> dict[str, Any]:
    """The ranker builder's keyword arguments from the config."""
    r = config.ranker
    return {"dim": r.dim, "hidden": r.hidden, "dropout": r.dropout}


def _best(epochs: list[dict[str, float]]) -> float:
    return max((e["ndcg@10"] for e in epochs), default=-math.inf)


def _feature_args(config: TrainConfig) -> dict[str, Any]:
    f = config.features
    # `sasrec` trains one causal pass over undecayed windows (every slot at once), so the
    # served history is undecayed too.
    t = config.two_tower
    set_style = t.history != "sequence" or t.user_encoder == "sasrec"
    return {
        "min_count": f.min_count,
        "history_length": f.history_length,
        "recency_half_life_days": math.inf if set_style else f.recency_half_life_days,
        "max_moods": f.max_moods,
    }


def _text(
    catalog: PostCatalog, config: TrainConfig, encoder: TextEncoder | None, observer: Observer
) -> npt.NDArray[np.float32] | None:
    """Text embeddings of the catalogue, encoded in chunks so progress shows, longest texts
    first (`features.text.by_length`: chunks of like lengths pad little). With an
    `EmbeddingCache` only the texts it lacks are ordered and encoded: ordering tokenizes, about
    a CPU second per 5,000 texts, which a run with every text cached need not spend."""
    if not config.features.use_text:
        return None
    encode = encoder if encoder is not None else EmbeddingCache()
    texts = list(catalog.texts)
    if isinstance(encode, EmbeddingCache):  # pass the cache itself, not its bound `encode`
        _encode_in_chunks(encode.lacking(texts), encode, observer)  # fills the cache
        return encode(texts)
    return _encode_in_chunks(texts, encode, observer)


def _encode_in_chunks(
    texts: list[str], encode: TextEncoder, observer: Observer
) -> npt.NDArray[np.float32]:
    """`encode(texts)`, `TEXT_CHUNK` texts a call, longest first, one progress step a call."""
    starts = range(0, len(texts), TEXT_CHUNK)
    observer.on_stage(TEXT_STAGE, len(starts), 1)
    if not texts:
        return encode([])
    order = by_length(texts)
    out: npt.NDArray[np.float32] | None = None  # filled in place: 1.5 GB at 1M posts, once
    for start in starts:
        rows = order[start : start + TEXT_CHUNK]
        part = encode([texts[i] for i in rows])
        if out is None:
            out = np.empty((len(texts), part.shape[1]), np.float32)
        out[rows] = part
        observer.on_step(TEXT_STAGE, math.nan)
    assert out is not None
    return out


def table_tensors(table: PostTable) -> dict[str, npt.NDArray[Any]]:
    """The post table columns the post encoders hold as buffers."""
    return {"id_rows": table.id_rows, "creator_rows": table.creator_rows,
            "category_rows": table.category_rows, "mood_rows": table.mood_rows,
            "dense": table.dense, "text": table.text}  # fmt: skip


def model_sizes(pipeline: FeaturePipeline) -> dict[str, Any]:
    """Vocabulary sizes the builders need (OOV rows included)."""
    return {"n_users": len(pipeline.users), "n_ids": len(pipeline.posts),
            "n_creators": len(pipeline.creators), "n_categories": len(pipeline.categories),
            "n_moods": len(pipeline.moods)}  # fmt: skip


def _popularity(
    train: InteractionLog,
    table: PostTable,
    pipeline: FeaturePipeline,
    valid: ValidationSet,
    cold_events: list[int],
) -> dict[str, float]:
    """Popularity's validation metrics, its cold slices' NDCG@10 too (the same scores; the cut
    histories mask fewer posts)."""
    if len(valid) == 0:
        return {"ndcg@10": 0.0}
    scores = popularity_scores(train, table.post_ids, pipeline.signals, len(valid))
    out = evaluate_scores(scores, table.post_ids, valid)
    cold = []
    for n in cold_events:
        cut = valid.first_events(n)
        if len(cut) > 0:
            cut_scores = scores[: len(cut)]  # the same row for every user
            cold.append(evaluate_scores(cut_scores, table.post_ids, cut)["ndcg@10"])
            out[f"cold{n}_ndcg@10"] = cold[-1]
    if cold:
        out["cold_ndcg@10"] = float(np.mean(cold))
    return out
