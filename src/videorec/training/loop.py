"""The epoch loop both recipes share: train, validate, keep the best weights, stop early."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import numpy as np
import torch
from torch import nn

from videorec.training.observer import Observer

M = TypeVar("M", bound=nn.Module)


class WeightAverage:
    """An exponential moving average of a model's parameters, updated after every step.

    Validating (and keeping) the averaged weights instead of the last step's smooths out the
    step-to-step noise of a small data set's few hundred steps: the validation curve is less
    jagged, so early stopping picks a less lucky epoch, and the weights kept sit nearer the
    middle of the optimum the last steps circle around. The first steps average with a shorter
    memory (`min(decay, (1 + n) / (10 + n))` after n updates), so the initial weights fade fast.

    Args:
        model: the module whose parameters are averaged.
        decay: the weight of the running average at each update (0.9-0.99: a memory of about
            1 / (1 - decay) steps).
    """

    def __init__(self, model: nn.Module, decay: float) -> None:
        self.decay, self.updates = decay, 0
        self.shadow = {name: p.detach().clone() for name, p in model.named_parameters()}

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """Fold the model's current parameters into the average."""
        self.updates += 1
        decay = min(self.decay, (1 + self.updates) / (10 + self.updates))
        for name, param in model.named_parameters():
            self.shadow[name].lerp_(param.detach(), 1.0 - decay)

    @contextmanager
    def applied(self, model: nn.Module) -> Iterator[None]:
        """Inside the block the model holds the averaged parameters; its own come back after."""
        own = {name: p.detach().clone() for name, p in model.named_parameters()}
        _assign(model, self.shadow)
        try:
            yield
        finally:
            _assign(model, own)


def _assign(model: nn.Module, values: dict[str, torch.Tensor]) -> None:
    """Copy `values` into the parameters through `load_state_dict`, whose hooks drop what was
    precomputed from the weights just replaced (the post encoder's frozen encodings)."""
    model.load_state_dict(values, strict=False)


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
    average: float = 0.0,
) -> list[dict[str, float]]:
    """Run up to `epochs` epochs with early stopping on validation NDCG@10.

    Args:
        batches: a fresh sequence of example-index batches for each epoch.
        step: trains on one batch and returns its loss.
        validate: metrics of the model (must include "ndcg@10").
        max_steps: stop each epoch after this many steps (benchmarks).
        average: > 0: validate and keep an exponential moving average of the weights with this
            decay per step (`WeightAverage`) instead of the last step's weights.

    Returns:
        one dict per epoch: loss and validation metrics; the best weights are left in `model`.
    """
    history: list[dict[str, float]] = []
    best, best_state, waited = -1.0, copy.deepcopy(model.state_dict()), 0
    averaged = WeightAverage(model, average) if average > 0 else None
    for epoch in range(1, epochs + 1):
        model.train()
        losses = []
        for number, batch in enumerate(batches()):
            if max_steps is not None and number >= max_steps:
                break
            losses.append(step(batch))
            if averaged is not None:
                averaged.update(model)
            observer.on_step(stage, losses[-1])
        model.eval()
        with averaged.applied(model) if averaged is not None else _unchanged():
            metrics = validate(model)
            improved = metrics["ndcg@10"] > best
            if improved:
                best_state = copy.deepcopy(model.state_dict())
        record = {"epoch": float(epoch), "loss": float(np.mean(losses)), **metrics}
        history.append(record)
        observer.on_epoch(stage, epoch, record["loss"], metrics)
        if improved:
            best, waited = metrics["ndcg@10"], 0
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_state)
    return history


@contextmanager
def _unchanged() -> Iterator[None]:
    yield
