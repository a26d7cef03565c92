"""Recipe: train the two-tower retrieval model.

Reads top to bottom: examples (first positive event of each (user, post) pair) -> sampling
probabilities for the logQ correction -> epochs of sampled softmax over in-batch plus uniform
negatives, each example with a `set` (hold-one-out) or `sequence` (events before it) history ->
validation NDCG@10 after each epoch -> early stopping, keeping the best weights.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from videorec.features.pipeline import FeaturePipeline
from videorec.models.two_tower import TwoTower, sampled_softmax_loss
from videorec.training.config import TwoTowerConfig
from videorec.training.data import EventArrays, ExampleHistories
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
    n_rows: int,
    validate: Callable[[TwoTower], dict[str, float]],
    observer: Observer,
    seed: int,
    device: torch.device,
    max_steps: int | None = None,
    stage: str = STAGE,
) -> list[dict[str, float]]:
    """Train in place and leave the best validated weights in `model`.

    Args:
        n_rows: post table rows (uniform negatives are drawn from rows 1..n_rows-1).
        validate: metrics of the model on the validation set (must include "ndcg@10").
        max_steps: stop each epoch after this many steps (benchmarks).
        stage: the name progress is reported under.

    Returns:
        one dict per epoch: loss and validation metrics.
    """
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    positions = events.first_of_pairs()
    positions = positions[events.weights[positions] > 0]
    log_q = _log_q(events.rows[positions], n_rows, config)
    optimiser = SplitAdam(model, config.learning_rate, config.weight_decay)
    steps = max(1, -(-positions.shape[0] // config.batch_size))
    examples = ExampleHistories(events, pipeline, config.history, rng)
    observer.on_stage(stage, min(steps, max_steps or steps), config.epochs)
    return fit_epochs(
        model,
        stage=stage,
        epochs=config.epochs,
        patience=config.patience,
        batches=lambda: examples.epoch(positions, steps),
        step=lambda batch: _step(
            model, optimiser, examples, batch, log_q, n_rows, config, rng, device
        ),
        validate=validate,
        observer=observer,
        max_steps=max_steps,
    )


def _log_q(rows: np.ndarray, size: int, config: TwoTowerConfig) -> np.ndarray:
    """log of each post row's expected count among one batch's candidates: `batch_size` draws
    from the positives (in-batch) plus the uniform pool. One value per post, wherever it came
    from, so the corrected softmax estimates the full-catalogue one."""
    counts = np.bincount(rows, minlength=size).astype(np.float64)
    share = np.maximum(counts, 1) / max(rows.shape[0], 1)
    pool = min(config.negatives, size - 1) / max(size - 1, 1)
    return np.asarray(np.log(share * config.batch_size + pool), dtype=np.float32)


def _uniform_pool(n_rows: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """`size` distinct post rows drawn uniformly (all of them when the catalogue is smaller)."""
    if size >= n_rows - 1:
        return np.arange(1, n_rows)
    return rng.choice(n_rows - 1, size, replace=False) + 1


def _step(
    model: TwoTower,
    optimiser: SplitAdam,
    examples: ExampleHistories,
    batch: np.ndarray,
    log_q: np.ndarray,
    n_rows: int,
    config: TwoTowerConfig,
    rng: np.random.Generator,
    device: torch.device,
) -> float:
    events = examples.events
    rows, weights = examples.histories(batch)
    users = np.where(rng.random(batch.shape[0]) < config.user_dropout, 0, events.users[batch])
    posts = events.rows[batch]

    def to(x: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(x)).to(device)

    user_vec, post_vec = model(to(users), to(rows), to(weights), to(posts))
    pool = None
    if config.negatives > 0:
        pool_rows = _uniform_pool(n_rows, config.negatives, rng)
        pool = (model.post_vectors(to(pool_rows)), to(pool_rows), to(log_q[pool_rows]))
    loss = sampled_softmax_loss(
        user_vec, post_vec, to(posts), to(log_q[posts]), config.temperature, pool
    )
    optimiser.zero_grad()
    loss.backward()  # type: ignore[no-untyped-call]
    optimiser.step()
    return float(loss.detach())
