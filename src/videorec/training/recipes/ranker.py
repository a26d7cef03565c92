"""Recipe: train the multi-task ranker.

Reads top to bottom: one example per (user, post) pair with its aggregated labels, plus sampled
posts the user never touched as all-zero negatives -> binary cross-entropy per head and a masked
squared error on the rating -> validation NDCG@10 of the full pipeline after each epoch -> early
stopping, keeping the best weights.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from videorec.features.pipeline import FeaturePipeline
from videorec.models.ranker import Ranker
from videorec.training.config import RankerConfig
from videorec.training.data import EventArrays, PairLabels, pair_labels
from videorec.training.loop import fit_epochs
from videorec.training.observer import Observer
from videorec.training.optim import SplitAdam

STAGE = "ranker"


def train_ranker(
    model: Ranker,
    events: EventArrays,
    pipeline: FeaturePipeline,
    config: RankerConfig,
    *,
    n_rows: int,
    validate: Callable[[Ranker], dict[str, float]],
    observer: Observer,
    seed: int,
    device: torch.device,
    max_steps: int | None = None,
) -> list[dict[str, float]]:
    """Train in place and leave the best validated weights in `model`.

    Args:
        n_rows: post table rows (negatives are drawn from rows 1..n_rows-1).
        validate: metrics with the ranker in the pipeline (must include "ndcg@10").
    """
    rng = np.random.default_rng(seed + 1)
    torch.manual_seed(seed + 1)
    labels = pair_labels(events, pipeline.signals.high_from)
    optimiser = SplitAdam(model, config.learning_rate)
    n_pairs = min(labels.positions.shape[0], config.max_pairs)
    per_batch = max(1, config.batch_size // (1 + config.negatives))
    steps = max(1, -(-n_pairs // per_batch))
    observer.on_stage(STAGE, min(steps, max_steps or steps), config.epochs)
    return fit_epochs(
        model,
        stage=STAGE,
        epochs=config.epochs,
        patience=config.patience,
        batches=lambda: np.array_split(rng.permutation(labels.positions.shape[0])[:n_pairs], steps),
        step=lambda batch: _step(
            model, optimiser, events, pipeline, labels, batch, n_rows, config, rng, device
        ),
        validate=validate,
        observer=observer,
        max_steps=max_steps,
    )


def _step(
    model: Ranker,
    optimiser: SplitAdam,
    events: EventArrays,
    pipeline: FeaturePipeline,
    labels: PairLabels,
    batch: np.ndarray,
    n_rows: int,
    config: RankerConfig,
    rng: np.random.Generator,
    device: torch.device,
) -> float:
    k = 1 + config.negatives
    positions = labels.positions[batch]
    rows, weights = events.histories(positions, pipeline.history_length, pipeline)
    negatives = rng.integers(1, max(n_rows, 2), size=(batch.shape[0], config.negatives))
    posts = np.concatenate([events.rows[positions][:, None], negatives], axis=1).reshape(-1)
    heads = np.zeros((batch.shape[0], k, labels.heads.shape[1]), dtype=np.float32)
    heads[:, 0] = labels.heads[batch]
    rating = np.full((batch.shape[0], k), np.nan, dtype=np.float32)
    rating[:, 0] = labels.rating[batch]

    def to(x: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(x)).to(device)

    logits, predicted = model(
        to(events.users[positions]), to(rows), to(weights), to(posts.reshape(-1, k))
    )
    loss = F.binary_cross_entropy_with_logits(logits, to(heads))
    rated = to(~np.isnan(rating))
    if bool(rated.any()):
        loss = loss + F.mse_loss(predicted[rated], to(np.nan_to_num(rating))[rated])
    optimiser.zero_grad()
    loss.backward()  # type: ignore[no-untyped-call]
    optimiser.step()
    return float(loss.detach())
