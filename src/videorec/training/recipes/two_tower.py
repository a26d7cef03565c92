"""Recipe: train the two-tower retrieval model.

Reads top to bottom: examples (first positive event of each (user, post) pair) -> sampling
probabilities for the logQ correction -> epochs of softmax, over the whole catalogue when it is
small (`full_softmax_up_to`, the user's other posts masked) or else over in-batch plus uniform
negatives, each example with a `set` (hold-one-out) or `sequence` (events before it) history,
or one `holdout` example per user with many targets (full softmax, or above
`full_softmax_up_to` the sampled one of `training.sampled_holdout`) -> validation NDCG@10 after
each epoch -> early stopping, keeping the best weights. The `sasrec` user tower trains as SASRec
instead: windows of each user's time-ordered events, one causal pass each, with the loss at every
slot predicting the next post (`next_post_loss`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from videorec.features.pipeline import FeaturePipeline
from videorec.models.two_tower import (
    TwoTower,
    full_softmax_loss,
    multi_target_softmax_loss,
    sampled_multi_target_loss,
    sampled_softmax_loss,
)
from videorec.training.config import TwoTowerConfig
from videorec.training.data import (
    EventArrays,
    ExampleHistories,
    causal_windows,
    holdout_split,
    window_ends,
)
from videorec.training.loop import fit_epochs
from videorec.training.observer import Observer
from videorec.training.optim import DecayOnPlateau, SplitAdam
from videorec.training.precision import autocast
from videorec.training.sampled_holdout import batch_candidates, holdout_log_q, targets_per_step

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
    decay = DecayOnPlateau(optimiser, config.lr_decay_after)
    holdout = config.history == "holdout" and (
        full_softmax(n_rows, config) or config.sampled_holdout
    )
    examples = ExampleHistories(events, pipeline, "set" if holdout else config.history, rng)
    if model.sequence is not None:  # one causal pass per window of `history_length` targets
        return _train_causal(
            model, events, pipeline.history_length, config, positions, log_q, optimiser,
            n_rows=n_rows, validate=lambda m: decay.observe(validate(m)), observer=observer,
            rng=rng, device=device, max_steps=max_steps, stage=stage,
        )  # fmt: skip
    if holdout:  # one example per user, each epoch `passes` over them
        users = np.unique(events.starts[positions])
        passes = max(1, round(1 / config.holdout_share))
        per_pass = max(1, -(-users.shape[0] // config.batch_size))
        steps = passes * per_pass
        if not full_softmax(n_rows, config):  # each positive pair a target ~once per epoch
            per_step = targets_per_step(
                events, users, config.holdout_share, n_rows, per_pass, seed + 1
            )
            log_q = holdout_log_q(events.rows[positions], n_rows, per_step, config.negatives)
        # no `examples.epoch`: its per-epoch shuffle of every event (a 10M lexsort, ~4 CPU s
        # per pass) serves `set` histories only
        batches = lambda: [  # noqa: E731
            b for _ in range(passes) for b in np.array_split(rng.permutation(users), per_pass)
        ]
    else:
        steps = max(1, -(-positions.shape[0] // config.batch_size))
        batches = lambda: examples.epoch(positions, steps)  # noqa: E731
    epochs = epoch_cap(config, steps)
    observer.on_stage(stage, min(steps, max_steps or steps), epochs)
    return fit_epochs(
        model,
        stage=stage,
        epochs=epochs,
        patience=config.patience,
        batches=batches,
        step=lambda batch: _step(
            model, optimiser, examples, batch, log_q, n_rows, config, rng, device, holdout
        ),
        validate=lambda m: decay.observe(validate(m)),
        observer=observer,
        max_steps=max_steps,
        average=config.average,
    )


def epoch_cap(config: TwoTowerConfig, steps_per_epoch: int) -> int:
    """`epochs`, raised to the epochs `min_steps` optimiser steps take at `steps_per_epoch`."""
    return max(config.epochs, -(-config.min_steps // max(1, steps_per_epoch)))


def _train_causal(
    model: TwoTower,
    events: EventArrays,
    length: int,
    config: TwoTowerConfig,
    positions: np.ndarray,
    log_q: np.ndarray,
    optimiser: SplitAdam,
    *,
    n_rows: int,
    validate: Callable[[TwoTower], dict[str, float]],
    observer: Observer,
    rng: np.random.Generator,
    device: torch.device,
    max_steps: int | None,
    stage: str,
) -> list[dict[str, float]]:
    """`sasrec` as SASRec trains: windows of each user's time-ordered events, one causal pass
    each, the loss at every slot predicting the next post. A step takes about `batch_size`
    target slots (`batch_size // history_length` windows)."""
    is_target = np.zeros(events.rows.shape[0], dtype=np.bool_)
    is_target[positions] = True
    ends = window_ends(events, length)
    per_step = max(1, config.batch_size // length)
    steps = max(1, -(-ends.shape[0] // per_step))
    epochs = epoch_cap(config, steps)
    observer.on_stage(stage, min(steps, max_steps or steps), epochs)

    def step(batch: np.ndarray) -> float:
        windows = causal_windows(events, batch, length, is_target)
        rows, weights = _dropped(windows.rows, windows.weights, config.history_dropout, rng)
        users = np.where(rng.random(batch.shape[0]) < config.user_dropout, 0, windows.users)
        known = events.known_posts(windows.last, n_rows) if full_softmax(n_rows, config) else None
        loss = next_post_loss(
            model, users, rows, weights, windows.targets, known, log_q, n_rows, config, rng,
            device,
        )  # fmt: skip
        return _descend(optimiser, loss)

    return fit_epochs(
        model, stage=stage, epochs=epochs, patience=config.patience,
        batches=lambda: np.array_split(rng.permutation(ends), steps), step=step,
        validate=validate, observer=observer, max_steps=max_steps, average=config.average,
    )  # fmt: skip


def next_post_loss(
    model: TwoTower,
    users: np.ndarray,
    rows: np.ndarray,
    weights: np.ndarray,
    targets: np.ndarray,
    known: np.ndarray | None,
    log_q: np.ndarray,
    n_rows: int,
    config: TwoTowerConfig,
    rng: np.random.Generator,
    device: torch.device,
) -> torch.Tensor:
    """Mean next-post cross-entropy over the target slots of a batch of windows.

    Slots without a target (padding, repeats, non-positive events) take no part. Over the
    whole catalogue (`known` given: shape (b, n_rows - 1), the user's posts, never negatives
    but for the slot's own target) or, for large catalogues, the sampled softmax of the other
    examples (the other target slots of the batch plus a uniform pool, logQ-corrected).
    """

    def to(x: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(x)).to(device)

    slots = model.every_slot_user_vectors(to(users), to(rows), to(weights))
    window, slot = np.nonzero(targets)
    if window.shape[0] == 0:
        return slots.sum() * 0.0
    user_vec = slots[to(window), to(slot)]
    posts = targets[window, slot]
    if known is not None:
        catalogue = model.post_vectors(torch.arange(1, n_rows, device=device))
        return full_softmax_loss(
            user_vec, catalogue, to(posts - 1), to(known[window]), config.temperature
        )
    pool = None
    if config.negatives > 0:
        pool_rows = _uniform_pool(n_rows, config.negatives, rng)
        pool = (model.post_vectors(to(pool_rows)), to(pool_rows), to(log_q[pool_rows]))
    return sampled_softmax_loss(
        user_vec, model.post_vectors(to(posts)), to(posts), to(log_q[posts]),
        config.temperature, pool,
    )  # fmt: skip


def full_softmax(n_rows: int, config: TwoTowerConfig) -> bool:
    """Whether a catalogue of `n_rows - 1` posts trains with the full softmax."""
    return n_rows - 1 <= config.full_softmax_up_to


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
    holdout: bool,
) -> float:
    events = examples.events
    if holdout and not full_softmax(n_rows, config):
        return _sampled_holdout_step(
            model, optimiser, examples, batch, log_q, n_rows, config, rng, device
        )
    if holdout:
        return _holdout_step(model, optimiser, examples, batch, n_rows, config, rng, device)
    rows, weights = _dropped(*examples.histories(batch), config.history_dropout, rng)
    users = np.where(rng.random(batch.shape[0]) < config.user_dropout, 0, events.users[batch])
    posts = events.rows[batch]

    def to(x: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(x)).to(device)

    with autocast(device, config.precision):
        if full_softmax(n_rows, config):
            user_vec = model.user_vectors(to(users), to(rows), to(weights))
            catalogue = model.post_vectors(torch.arange(1, n_rows, device=device))
            known = to(events.known_posts(batch, n_rows))
            loss = full_softmax_loss(user_vec, catalogue, to(posts - 1), known, config.temperature)
        else:
            user_vec, post_vec = model(to(users), to(rows), to(weights), to(posts))
            pool = None
            if config.negatives > 0:
                pool_rows = _uniform_pool(n_rows, config.negatives, rng)
                pool = (model.post_vectors(to(pool_rows)), to(pool_rows), to(log_q[pool_rows]))
            loss = sampled_softmax_loss(
                user_vec, post_vec, to(posts), to(log_q[posts]), config.temperature, pool
            )
    return _descend(optimiser, loss)


def _holdout_step(
    model: TwoTower,
    optimiser: SplitAdam,
    examples: ExampleHistories,
    users: np.ndarray,
    n_rows: int,
    config: TwoTowerConfig,
    rng: np.random.Generator,
    device: torch.device,
) -> float:
    """One step of multi-target examples: a share of each user's posts predicted from the rest."""
    events, length = examples.events, examples.pipeline.history_length
    split = events.holdout(users, length, config.holdout_share, rng, n_rows)
    rows, weights = _holdout_history(split.rows, split.weights, config, rng)
    ids = _user_ids(events, users, config, rng)

    def to(x: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(x)).to(device)

    with autocast(device, config.precision):
        user_vec = model.user_vectors(to(ids), to(rows), to(weights))
        catalogue = model.post_vectors(torch.arange(1, n_rows, device=device))
        loss = multi_target_softmax_loss(
            user_vec, catalogue, to(split.targets), to(split.seen), config.temperature
        )
    return _descend(optimiser, loss)


def _sampled_holdout_step(
    model: TwoTower,
    optimiser: SplitAdam,
    examples: ExampleHistories,
    users: np.ndarray,
    log_q: np.ndarray,
    n_rows: int,
    config: TwoTowerConfig,
    rng: np.random.Generator,
    device: torch.device,
) -> float:
    """`_holdout_step` for catalogues above `full_softmax_up_to`: each user's targets against
    the batch's other targets and `negatives` uniform posts, logQ-corrected
    (`training.sampled_holdout`)."""
    events, length = examples.events, examples.pipeline.history_length
    split = holdout_split(events, users, length, config.holdout_share, rng, n_rows)
    rows, weights = _holdout_history(split.rows, split.weights, config, rng)
    pool = _uniform_pool(n_rows, config.negatives, rng) if config.negatives > 0 else None
    candidates = batch_candidates(split, np.zeros(0, np.int64) if pool is None else pool)
    ids = _user_ids(events, users, config, rng)

    def to(x: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(x)).to(device)

    with autocast(device, config.precision):
        user_vec = model.user_vectors(to(ids), to(rows), to(weights))
        loss = sampled_multi_target_loss(
            user_vec, model.post_vectors(to(candidates.rows)), to(log_q[candidates.rows]),
            to(candidates.target_example), to(candidates.target_column), to(candidates.seen),
            config.temperature,
        )  # fmt: skip
    return _descend(optimiser, loss)


def _holdout_history(
    rows: np.ndarray, weights: np.ndarray, config: TwoTowerConfig, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """A holdout split's histories as a step trains on them: input dropout, then a share cut
    short (`history_dropout`, `short_history_share`)."""
    rows, weights = _dropped(rows, weights, config.history_dropout, rng)
    return _shortened(rows, weights, config.short_history_share, rng)


def _user_ids(
    events: EventArrays, users: np.ndarray, config: TwoTowerConfig, rng: np.random.Generator
) -> np.ndarray:
    """The examples' user id rows, `user_dropout` of them replaced by the unknown row 0."""
    return np.where(rng.random(users.shape[0]) < config.user_dropout, 0, events.users[users])


def _descend(optimiser: SplitAdam, loss: torch.Tensor) -> float:
    """One optimiser step down `loss`; the loss as a float."""
    optimiser.zero_grad()
    loss.backward()  # type: ignore[no-untyped-call]
    optimiser.step()
    return float(loss.detach())


SHORT_HISTORY = 5
"""The longest history `short_history_share` cuts to."""


def _shortened(
    rows: np.ndarray, weights: np.ndarray, share: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """About `share` of the histories cut to their last 1..`SHORT_HISTORY` positions (holdout
    histories are right-aligned in random order, so these are random events of the user). The
    cut events stay in `seen`: they are still the user's posts, never negatives."""
    if share <= 0:
        return rows, weights
    b, length = rows.shape
    keep = np.where(rng.random(b) < share, rng.integers(1, SHORT_HISTORY + 1, b), length)
    kept = np.arange(length)[None, :] >= length - keep[:, None]
    return np.where(kept, rows, 0), np.where(kept, weights, 0.0).astype(np.float32)


def _dropped(
    rows: np.ndarray, weights: np.ndarray, share: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """The history with a random `share` of its events dropped (input dropout; the dropped
    posts stay masked out of the negatives where the loss masks the user's posts)."""
    if share <= 0:
        return rows, weights
    kept = rng.random(rows.shape) >= share
    return np.where(kept, rows, 0), np.where(kept, weights, 0.0).astype(np.float32)
