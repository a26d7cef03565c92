"""One optimiser for a model whose id tables have sparse gradients.

A dense Adam step reads and writes every row of every table, every step: at 10M events the
100k-row user and post id tables cost more than the rest of the step. Tables built with
`sparse=True` get `torch.optim.SparseAdam` (lazy Adam: a step updates the moments and weights
of the rows the batch touched only); every other parameter keeps AdamW.
"""

from __future__ import annotations

import torch
from torch import nn


class SplitAdam:
    """SparseAdam for sparse-gradient embeddings, AdamW for the rest, stepped together.

    Args:
        model: the module to train.
        lr: learning rate of both optimisers.
        weight_decay: AdamW's decoupled weight decay (the sparse tables get none).
    """

    def __init__(self, model: nn.Module, lr: float, weight_decay: float = 0.0) -> None:
        sparse = [m.weight for m in model.modules() if isinstance(m, nn.Embedding) and m.sparse]
        taken = {id(p) for p in sparse}
        dense = [p for p in model.parameters() if id(p) not in taken]
        self.optimisers: list[torch.optim.Optimizer] = []
        if sparse:
            self.optimisers.append(torch.optim.SparseAdam(sparse, lr=lr))
        if dense:
            self.optimisers.append(
                torch.optim.AdamW(dense, lr=lr, weight_decay=weight_decay, foreach=True)
            )

    def zero_grad(self) -> None:
        """Drop the gradients of every parameter."""
        for optimiser in self.optimisers:
            optimiser.zero_grad(set_to_none=True)

    def step(self) -> None:
        """One update of every parameter that has a gradient."""
        for optimiser in self.optimisers:
            optimiser.step()

    def scale_lr(self, factor: float) -> None:
        """Multiply every parameter group's learning rate by `factor`."""
        for optimiser in self.optimisers:
            for group in optimiser.param_groups:
                group["lr"] *= factor


class DecayOnPlateau:
    """Halve the learning rate each time validation NDCG@10 has not improved for `after`
    epochs in a row (0: never): late epochs then refine instead of jumping around the optimum.

    The recipe passes each epoch's validation metrics through `observe`.
    """

    def __init__(self, optimiser: SplitAdam, after: int, factor: float = 0.5) -> None:
        self.optimiser, self.after, self.factor = optimiser, after, factor
        self.best, self.waited = -1.0, 0

    def observe(self, metrics: dict[str, float]) -> dict[str, float]:
        """Record one epoch's validation metrics (returned unchanged)."""
        if metrics["ndcg@10"] > self.best:
            self.best, self.waited = metrics["ndcg@10"], 0
        else:
            self.waited += 1
            if self.after and self.waited % self.after == 0:
                self.optimiser.scale_lr(self.factor)
        return metrics
