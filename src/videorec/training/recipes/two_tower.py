"""Recipe: train the two-tower retrieval model.

Reads top to bottom: examples (first positive event of each (user, post) pair) -> sampling
probabilities for the logQ correction -> epochs of in-batch sampled softmax -> validation
NDCG@10 after each epoch -> early stopping, keeping the best weights.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from videorec.features.pipeline import FeaturePipeline
from videorec.models.two_tower import TwoTower, sampled_softmax_loss
from videorec.training.config import TwoTowerConfig
from videorec.training.data import EventArrays
from videorec.training.loop import fit_epochs
from videorec.training.observer import Observer
from videorec.training.optim import SplitAdam

STAGE = "two_tower"


def train_two_tower(
    model: TwoTower,
    events: EventArrays,
    pipeline: FeaturePipeline,
    config: TwoTowerConfig,
    *,
    validate: Callable[[TwoTower], dict[str, float]],
    observer: Observer,
    seed: int,
    device: torch.device,
    max_steps: int | None = None,
) -> list[dict[str, float]]:
    """Train in place and leave the best validated weights in `model`.

    Args:
        validate: metrics of the model on the validation set (must include "ndcg@10").
        max_steps: stop each epoch after this many steps (benchmarks).

    Returns:
        one dict per epoch: loss and validation metrics.
    """
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    positions = events.first_of_pairs()
    positions = positions[events.weights[positions] > 0]
    log_q = _log_q(events.rows[positions], len(events.rows) and int(events.rows.max()) + 1)
    optimiser = SplitAdam(model, config.learning_rate, config.weight_decay)
    steps = max(1, -(-positions.shape[0] // config.batch_size))
    observer.on_stage(STAGE, min(steps, max_steps or steps), config.epochs)
    return fit_epochs(
        model,
        stage=STAGE,
        epochs=config.epochs,
        patience=config.patience,
        batches=lambda: np.array_split(rng.permutation(positions), steps),
        step=lambda batch: _step(
            model, optimiser, events, pipeline, batch, log_q, config, rng, device
        ),
        validate=validate,
        observer=observer,
        max_steps=max_steps,
    )


def _log_q(rows: np.ndarray, size: int) -> np.ndarray:
    """log of each post row's share of the positives (its in-batch sampling probability)."""
    counts = np.bincount(rows, minlength=size).astype(np.float64)
    return np.asarray(np.log(np.maximum(counts, 1) / max(rows.shape[0], 1)), dtype=np.float32)


def _step(
    model: TwoTower,
    optimiser: SplitAdam,
    events: EventArrays,
    pipeline: FeaturePipeline,
    batch: np.ndarray,
    log_q: np.ndarray,
    config: TwoTowerConfig,
    rng: np.random.Generator,
    device: torch.device,
) -> float:
    rows, weights = events.histories(batch, pipeline.history_length, pipeline)
    users = np.where(rng.random(batch.shape[0]) < config.user_dropout, 0, events.users[batch])
    posts = events.rows[batch]

    def to(x: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(x)).to(device)

    user_vec, post_vec = model(to(users), to(rows), to(weights), to(posts))
    loss = sampled_softmax_loss(user_vec, post_vec, to(posts), to(log_q[posts]), config.temperature)
    optimiser.zero_grad()
    loss.backward()  # type: ignore[no-untyped-call]
    optimiser.step()
    return float(loss.detach())
