"""The epoch loop both recipes share: train, validate, keep the best weights, stop early."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import TypeVar

import numpy as np
from torch import nn

from videorec.training.observer import Observer

M = TypeVar("M", bound=nn.Module)


def fit_epochs(
    model: M,
    *,
    stage: str,
    epochs: int,
    patience: int,
    batches: Callable[[], Iterable[np.ndarray]],
    step: Callable[[np.ndarray], float],
    validate: Callable[[M], dict[str, float]],
    observer: Observer,
    max_steps: int | None = None,
) -> list[dict[str, float]]:
    """Run up to `epochs` epochs with early stopping on validation NDCG@10.

    Args:
        batches: a fresh sequence of example-index batches for each epoch.
        step: trains on one batch and returns its loss.
        validate: metrics of the model (must include "ndcg@10").
        max_steps: stop each epoch after this many steps (benchmarks).

    Returns:
        one dict per epoch: loss and validation metrics; the best weights are left in `model`.
    """
    history: list[dict[str, float]] = []
    best, best_state, waited = -1.0, copy.deepcopy(model.state_dict()), 0
    for epoch in range(1, epochs + 1):
        model.train()
        losses = []
        for number, batch in enumerate(batches()):
            if max_steps is not None and number >= max_steps:
                break
            losses.append(step(batch))
            observer.on_step(stage, losses[-1])
        model.eval()
        metrics = validate(model)
        record = {"epoch": float(epoch), "loss": float(np.mean(losses)), **metrics}
        history.append(record)
        observer.on_epoch(stage, epoch, record["loss"], metrics)
        if metrics["ndcg@10"] > best:
            best, best_state, waited = metrics["ndcg@10"], copy.deepcopy(model.state_dict()), 0
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_state)
    return history
