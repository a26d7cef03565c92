"""Recipe: train the multi-task ranker on what it reranks.

Reads top to bottom: one example per (user, post) pair with its aggregated labels -> for each,
negatives drawn from the trained retrieval's top `rerank_depth` for that user's history (hard
negatives: the candidates the ranker will reorder at serve time), minus the posts the user wanted
-> binary cross-entropy per head and a masked squared error on the rating -> validation NDCG@10
of the full pipeline after each epoch -> early stopping, keeping the best weights. Whether the
ranker is kept at all is `training.stages.select`'s decision.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from videorec.features.pipeline import FeaturePipeline
from videorec.models.ensemble import Retrieval
from videorec.models.ranker import Ranker
from videorec.training.config import RankerConfig
from videorec.training.data import (
    EventArrays,
    ExampleHistories,
    PairLabels,
    pair_key,
    pair_labels,
)
from videorec.training.loop import fit_epochs
from videorec.training.observer import Observer
from videorec.training.optim import SplitAdam

STAGE = "ranker"


def train_ranker(
    model: Ranker,
    retrieval: Retrieval,
    events: EventArrays,
    pipeline: FeaturePipeline,
    config: RankerConfig,
    *,
    history: str,
    n_rows: int,
    validate: Callable[[Ranker], dict[str, float]],
    observer: Observer,
    seed: int,
    device: torch.device,
    max_steps: int | None = None,
) -> list[dict[str, float]]:
    """Train in place and leave the best validated weights in `model`.

    Args:
        retrieval: the trained two-tower model whose candidates the ranker reorders.
        history: the two-tower's example style (`set` or `sequence`).
        n_rows: post table rows.
        validate: metrics with the ranker in the pipeline (must include "ndcg@10").
    """
    rng = np.random.default_rng(seed + 1)
    torch.manual_seed(seed + 1)
    labels = pair_labels(events, pipeline.signals.high_from, n_rows)
    candidates = _Candidates(retrieval, labels, n_rows, config, device)
    examples = ExampleHistories(events, pipeline, history, rng)
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
        batches=lambda: examples.epoch(rng.permutation(labels.positions.shape[0])[:n_pairs], steps),
        step=lambda batch: _step(
            model, optimiser, events, examples, labels, candidates, batch, config, rng, device
        ),
        validate=validate,
        observer=observer,
        max_steps=max_steps,
    )


class _Candidates:
    """Hard negatives: the retrieval's top posts for a history, minus the user's positives."""

    def __init__(
        self, retrieval: Retrieval, labels: PairLabels, n_rows: int, config: RankerConfig,
        device: torch.device,
    ) -> None:  # fmt: skip
        self.retrieval, self.labels, self.n_rows = retrieval.eval(), labels, n_rows
        self.depth = max(1, min(config.rerank_depth, n_rows - 1))
        with torch.no_grad():
            self.posts = retrieval.post_vectors(torch.arange(1, n_rows, device=device))

    @torch.no_grad()
    def negatives(
        self, users: torch.Tensor, rows: torch.Tensor, weights: torch.Tensor, count: int,
        rng: np.random.Generator,
    ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        """`count` rows per user from its top `depth`, and a mask of the usable ones (not a
        post the user wanted)."""
        scores = self.retrieval.user_vectors(users, rows, weights) @ self.posts.T
        top = torch.topk(scores, self.depth, dim=1).indices.cpu().numpy() + 1
        pick = rng.integers(0, self.depth, size=(top.shape[0], count))
        chosen = np.take_along_axis(top, pick, axis=1)
        keys = pair_key(users.cpu().numpy()[:, None], chosen, self.n_rows)
        wanted = self.labels.positive_keys
        at = np.minimum(np.searchsorted(wanted, keys), max(wanted.shape[0] - 1, 0))
        usable = ~(wanted[at] == keys) if wanted.shape[0] else np.ones_like(keys, dtype=bool)
        return chosen, usable


def _step(
    model: Ranker,
    optimiser: SplitAdam,
    events: EventArrays,
    examples: ExampleHistories,
    labels: PairLabels,
    candidates: _Candidates,
    batch: np.ndarray,
    config: RankerConfig,
    rng: np.random.Generator,
    device: torch.device,
) -> float:
    def to(x: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(x)).to(device)

    k = 1 + config.negatives
    positions = labels.positions[batch]
    rows, weights = examples.histories(positions)
    users, history, hist_weights = to(events.users[positions]), to(rows), to(weights)
    negatives, usable = candidates.negatives(users, history, hist_weights, config.negatives, rng)
    posts = np.concatenate([events.rows[positions][:, None], negatives], axis=1)
    heads = np.zeros((batch.shape[0], k, labels.heads.shape[1]), dtype=np.float32)
    heads[:, 0] = labels.heads[batch]
    mask = np.concatenate([np.ones((batch.shape[0], 1), bool), usable], axis=1)
    rating = np.full((batch.shape[0], k), np.nan, dtype=np.float32)
    rating[:, 0] = labels.rating[batch]
    logits, predicted = model(users, history, hist_weights, to(posts))
    per_head = F.binary_cross_entropy_with_logits(logits, to(heads), reduction="none")
    loss = (per_head.mean(-1) * to(mask)).sum() / to(mask).sum()
    rated = to(~np.isnan(rating))
    if bool(rated.any()):
        loss = loss + F.mse_loss(predicted[rated], to(np.nan_to_num(rating))[rated])
    optimiser.zero_grad()
    loss.backward()  # type: ignore[no-untyped-call]
    optimiser.step()
    return float(loss.detach())
