"""Training configuration: one pydantic model per component, read from `configs/train/*.toml`.

Every field has a default that works on the demo data, so an empty file is a valid config.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from videorec.errors import ConfigurationError
from videorec.features.signals import SignalWeights
from videorec.kit.shipped import shipped

_SIGNALS = SignalWeights()
Precision = Literal["auto", "float32", "bfloat16"]
DEFAULT_CONFIG = Path("configs/train/default.toml")
"""The shipped training config, relative to the repository root (found by `kit.shipped`)."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class SplitConfig(_Section):
    validation_fraction: float = Field(0.1, gt=0, lt=1)
    """The last fraction of the time span held out for validation."""
    max_validation_users: int = 1000
    """Validation users sampled (seeded) to keep evaluation fast."""
    cold_events: list[int] = [1, 2]
    """Also validate the validation users with their history cut to its first n events, for
    each n here, scored as users the model never saw (fold-in): `cold{n}_ndcg@10` and their
    mean `cold_ndcg@10` beside the warm metrics (how users with 1-2 events are served; empty:
    off). Early stopping stays on the warm NDCG@10."""


class FeatureConfig(_Section):
    min_count: int = 1
    """Training events an id needs to get its own embedding row (else the OOV row)."""
    history_length: int = 200
    """Recent events read by the user tower and the ranker (under `set` histories, all of a
    typical user's events: on MovieLens-100k 200 beat 50 on validation)."""
    recency_half_life_days: float = 14.0
    """A history event's weight halves per this many days before the user's latest event."""
    max_moods: int = 4
    """Mood terms embedded per post."""
    use_text: bool = True
    """Embed post texts with the offline MiniLM encoder (False: zeros, for quick experiments)."""
    text_threads: int = Field(0, ge=0)
    """Torch threads of the first-time text encoding in `videorec train` (0: every core that
    other runnable threads leave idle when encoding starts, `features.text.idle_cores`). Its
    batches are large matrix products, unlike training's small steps (`threads`): on a quiet
    2-core box two threads took 0.55-0.63x the wall time of one (+6-22% CPU); on a shared box
    at load 10 the same wall time for 34% more CPU (bench/results/2026-11-28-traintime-g.md),
    at load ~6 3.5-11x the wall time (bench/results/2026-11-28-traintime-h.md)."""
    view: float = _SIGNALS.view
    like: float = _SIGNALS.like
    inspire: float = _SIGNALS.inspire
    high_rating: float = _SIGNALS.high_rating
    low_rating: float = _SIGNALS.low_rating
    """History weights per signal; a low rating is negative evidence (defaults: `SignalWeights`,
    the one source of these values)."""
    high_from: float = _SIGNALS.high_from
    """A rating (0-100) at or above this is a high rating."""
    low_below: float = _SIGNALS.low_below
    """A rating under this is a low rating."""

    def signals(self) -> SignalWeights:
        """These weights and thresholds as the feature pipeline's `SignalWeights`."""
        return SignalWeights(
            view=self.view, like=self.like, inspire=self.inspire, high_rating=self.high_rating,
            low_rating=self.low_rating, high_from=self.high_from, low_below=self.low_below,
        )  # fmt: skip


class TwoTowerConfig(_Section):
    dim: int = 32
    """Width of each embedded post part and of the user id embedding."""
    hidden: list[int] = [128]
    out_dim: int = 64
    dropout: float = Field(0.2, ge=0, lt=1)
    """Dropout inside both tower MLPs (and the `sasrec` blocks). With `weight_decay` and
    `average`: MovieLens-100k validation NDCG@10 0.254 -> 0.275, 0.4 worse than 0.2
    (bench/results/2026-11-27-model-c.md)."""
    init_std: float = Field(0.01, gt=0)
    """Standard deviation of the id tables' initial weights (small: PyTorch's N(0, 1) leaves
    them mostly noise; too small and training first sits on the popularity solution)."""
    history: Literal["set", "sequence", "holdout"] = "holdout"
    """Training examples. `set`: the target is one of the user's posts and the history is up to
    `history_length` of their OTHER events, unordered and undecayed (for data whose order says
    little, e.g. ratings given in bulk). `sequence`: the history is the events before the target,
    decayed by recency (for feeds whose order carries signal). `holdout`: one example per user
    and step, `holdout_share` of their posts the targets of one softmax over the catalogue and
    the rest the history (the default: on MovieLens-100k better on validation and 2.5x faster
    than `set`, since the user tower runs once for many targets; above `full_softmax_up_to` its
    softmax is sampled, see `sampled_holdout`). Serving reads the latest `history_length` events
    either way (undecayed unless `sequence`)."""
    holdout_share: float = Field(0.2, gt=0, le=1)
    """`holdout` examples: the share of a user's posts held out as targets each time."""
    sampled_holdout: bool = True
    """`holdout` examples for catalogues above `full_softmax_up_to`: each user's targets
    against the batch's other targets plus `negatives` uniform posts, logQ-corrected
    (`training.sampled_holdout`); False: `set` examples there instead (one per positive pair,
    the same `epochs` and `patience`). Forced onto the sampled path (`full_softmax_up_to = 0`)
    it validated NDCG@10 0.288-0.295 against `set`'s 0.276-0.281 on the demo and 0.273 against
    0.252 on MovieLens-100k, and a 10M epoch is 980 steps instead of 19,092, 7.5x less CPU
    (bench/results/2026-11-27-epoch-e.md)."""
    user_encoder: Literal["pool", "sasrec"] = "pool"
    """How the user tower reads the history: signal-weighted mean (`pool`) or SASRec-style
    causal self-attention over its time-ordered events (`sasrec`: trained as SASRec, one pass
    per window of `history_length` events with the loss at every slot predicting the next post,
    undecayed; `history` then only shapes the ranker's examples)."""
    layers: int = Field(1, ge=1)
    heads: int = Field(2, ge=1)
    """`sasrec` Transformer blocks and attention heads (attention runs at `out_dim` wide, which
    `heads` must divide)."""
    history_ids: bool = False
    """Give the user tower its own post id table (`dim` wide), pooled over the history beside
    the shared post encoding: what a user watched speaks through other vectors than the ones
    that rank the candidates (asymmetric input and output item weights, as in EASE and
    Mult-DAE)."""
    post_bias: bool = False
    """A learned bias per post in the retrieval score, trained with the softmax: one extra
    coordinate (the bias on the post side, a constant 1 on the user side), so the ANN index and
    every inner product include it unchanged (one per member of a pair, each 1 / `members` on
    the user side: the mean of the members' biases)."""
    members: int = Field(2, ge=1, le=8)
    """Two-towers trained one after the other from seeds `seed`, `seed + 1`, ... and served as
    one model whose score is the mean of theirs (`models.ensemble`: the vectors side by side,
    so the index and the ONNX user tower serve it unchanged). Each member early-stops on its own
    validation; the short-history tower is the first member's. Costs `members` x the retrieval
    training and vector width. 2 over 1: the demo's validation NDCG@10 0.3003 / 0.2990 / 0.2935
    against one two-tower's 0.2839 / 0.2930 / 0.2902 at seeds 0 / 1 / 2 (`videorec evaluate`'s
    `two-tower` and `two-tower-single` rows; test 0.3352 against 0.3202, EASE 0.3251;
    bench/results/2026-11-28-ensemble.md)."""
    member_processes: int = Field(0, ge=0, le=8)
    """How many members train at once, each in a forked process of its own (`training.members`;
    the result is the same bit for bit): 0, one per member up to the cores over torch's
    `threads`; 1, one after the other in the training process. Always 1 on a GPU."""
    user_id: bool = False
    """Give the user tower a user id embedding (trained with `user_dropout`); without it (the
    default: no better on validation) the vector comes from the history alone."""
    user_dropout: float = Field(0.5, ge=0, le=1)
    """Share of examples whose user id is replaced by the unknown row, so the history alone
    learns to carry the user (new and 1-2 event users) and the id cannot memorise."""
    similarity: Literal["cosine", "dot"] = "dot"
    """`dot`: raw inner products (the default: post norms can carry popularity; MovieLens-100k
    validation 0.246 -> 0.256 over `cosine`), `cosine`: unit user and post vectors."""
    temperature: float = Field(1.0, gt=0)
    """Divides the similarities in the loss (cosine wants about 0.05-0.1, dot 1)."""
    full_softmax_up_to: int = Field(20_000, ge=0)
    """Catalogues up to this many posts train with a softmax over EVERY post (exact gradients,
    the user's other posts masked out); larger ones with the sampled softmax below. One step
    then scores a (batch, catalogue) matrix: 512 x 20k floats is 40 MB."""
    negatives: int = Field(1024, ge=0)
    """Sampled softmax (catalogues above `full_softmax_up_to`): uniform negatives shared by a
    batch on top of the in-batch ones (the other examples' posts, or under `holdout` the other
    users' targets), logQ-corrected (0: in-batch only)."""
    history_dropout: float = Field(0.0, ge=0, lt=1)
    """Share of each training example's history events dropped at random (denoising input
    dropout: a user tower that does not lean on any one event)."""
    short_history_share: float = Field(0.0, ge=0, le=1)
    """`holdout` examples: share of users whose history is cut to 1-5 of its events (at random)
    in each step, so the user tower also learns from the short histories of users with 1-2
    events (0: off; whole `holdout` histories are dozens of events on the demo data). Off: 0.1
    won the demo's validation under long training (0.6 x warm NDCG@10 + 0.4 x `cold_ndcg@10`),
    but lost it under the app's 30-epoch training config, and lowered MovieLens-100k's
    validation NDCG@10 from 0.275 to 0.261 (bench/results/2026-11-27-cold-dnn.md)."""
    precision: Precision = "float32"
    """The forward pass of `pool` training steps: `float32`, `bfloat16` autocast (float32
    weights, gradients, optimiser state and losses), or `auto`: bfloat16 where the device
    computes it natively (CUDA with bfloat16, CPUs with AVX512-BF16 or AMX). float32 by default:
    at 10M events bfloat16 saved only ~7% of a CPU step (46.2 -> 43.1 ms) once history texts
    were pooled before projection, and on the demo it validated 0.278 against 0.292 (one
    seed; bench/results/2026-11-27-epoch-d.md). `sasrec` trains in float32."""
    batch_size: int = 512
    learning_rate: float = 0.01
    weight_decay: float = 0.05
    """AdamW (decoupled) weight decay of the dense weights; the id tables (RowAdam, lazy Adam) get
    none."""
    epochs: int = 200
    min_steps: int = Field(0, ge=0)
    """The epoch cap rises so that at least this many optimiser steps may run (`epoch_cap`):
    `epochs` is set for a data set's time, but a small one has few steps per epoch (a `holdout`
    epoch: 10 on MovieLens-100k, 15 on the demo) and needs about as many updates as a larger
    one to converge. Early stopping still applies. 0: `epochs` alone."""
    patience: int = 20
    """Epochs without a better validation NDCG@10 before stopping. A `holdout` epoch is short
    (1 / `holdout_share` passes over the users: 10 steps on MovieLens-100k) and training first
    sits ~10-15 epochs on the popularity solution; `set` and `sequence` epochs (every event a
    target once) want about 20 epochs and a patience of 3."""
    average: float = Field(0.99, ge=0, lt=1)
    """Validate and keep an exponential moving average of the weights with this decay per step
    (0: the last step's weights; see `training.loop.WeightAverage`). Under dropout the last
    step's weights are noisy and early stopping reads a jagged curve: on MovieLens-100k dropout
    0.2 validated 0.259 without the average, 0.267 with it (decay 0.95). 0.99 (a memory of
    about 100 steps, ~7 demo epochs) over 0.95 (~20 steps, one epoch): the demo's validation
    NDCG@10 0.2954 / 0.2881 against 0.2874 / 0.2861 (seeds 0 / 1), a smoother curve whose
    maximum is less of a lucky epoch (bench/results/2026-11-27-quality-e.md)."""
    lr_decay_after: int = Field(0, ge=0)
    """Halve the learning rate after each run of this many epochs without a better validation
    NDCG@10 (0: a constant learning rate)."""


class RankerConfig(_Section):
    enabled: bool = True
    dim: int = 16
    hidden: list[int] = [128, 64]
    dropout: float = 0.2
    batch_size: int = 1020
    learning_rate: float = 2e-3
    epochs: int = 2
    patience: int = 1
    negatives: int = 4
    """Sampled non-interacted posts per positive pair."""
    rerank_depth: int = 100
    """Two-tower candidates the ranker reorders per user."""
    max_pairs: int = 150_000
    """Cap on (user, post) positive pairs per epoch (seeded sample)."""
    min_gain: float = Field(0.01, ge=0)
    """Validation NDCG@10 the ranker must add over retrieval alone to be kept (the issue's bar:
    a ranker that adds less only costs serving time)."""


class BlendConfig(_Section):
    retrieval: float = 4.0
    """Weight of the two-tower similarity in the final score (-1..1 under `similarity =
    "cosine"`; unbounded under `dot`, where it outweighs the heads unless lowered, and
    validation then drops a ranker that adds nothing)."""
    view: float = 0.1
    like: float = 0.2
    inspire: float = 0.2
    high_rating: float = 0.2
    rating: float = 0.0
    """Weights of the ranker heads in the final score (rating: predicted rating / 100)."""

    def head_weights(self) -> list[float]:
        """The ranker head weights in output order (view, like, inspire, high rating, rating)."""
        return [self.view, self.like, self.inspire, self.high_rating, self.rating]


class IndexConfig(_Section):
    hnsw_above: int = 50_000
    """Catalogues larger than this get an HNSW index; smaller ones an exact inner-product index."""
    hnsw_m: int = 32
    ef_search: int = 128


class ServingExtrasConfig(_Section):
    enabled: bool = True
    """Fit the feed's neighbour lists and learn its blend weights after training
    (`training/serving_extras.py`). Off: the artifact has none, and `/feed` ranks with the serve
    config's weights and without the `ease`/`rp3beta`/`item_knn` sources. For catalogues where
    that tuning costs more than training (tens of minutes at 100,000 users x 10,000 posts on 2
    cores), and for the serving benchmarks."""


class ShortHistoryConfig(_Section):
    enabled: bool = True
    """Fine-tune a copy of the trained user MLP on histories cut to 1..`train_events` events
    (`training.recipes.short_history`), and serve users with few events with it when the cold
    validation slices (`split.cold_events`) say it helps (False: the two-tower alone)."""
    train_events: int = Field(2, ge=1)
    """Fine-tuning histories keep 1..this many of a user's events, at random; every other post
    the user engaged with positively is a target. Demo validation, mean cold NDCG@10 of seeds 0
    and 1: 2 (0.080) beat 3 (0.076) and 5 (0.069 at learning rate 0.003)
    (bench/results/2026-11-27-cold-d.md)."""
    epochs: int = Field(20, ge=1)
    patience: int = Field(3, ge=1)
    """Early stopping on the mean cold validation NDCG@10 of the short tower alone."""
    passes: int = Field(10, ge=1)
    """Passes over the training users per epoch (each a fresh random cut)."""
    batch_size: int = 512
    learning_rate: float = 0.03
    """0.03 (0.081) over 0.01 (0.080) and 0.003 on the same validation."""
    weight_decay: float = 0.05
    min_gain: float = Field(0.0, ge=0)
    """Cold validation NDCG@10 the short tower must add over the two-tower at a slice of n
    events for histories of n events to be dispatched to it. The kept `max_events` is the
    largest n of `split.cold_events` up to which every slice gains; none: the tower is dropped,
    and the artifact says so (metrics.json "selection")."""


class TrainConfig(_Section):
    seed: int = 42
    threads: int = 1
    """CPU threads for torch (0: torch's default). These small batches gain little from more
    threads, and on a busy shared machine extra threads make training several times slower."""
    split: SplitConfig = SplitConfig()
    features: FeatureConfig = FeatureConfig()
    two_tower: TwoTowerConfig = TwoTowerConfig()
    short_history: ShortHistoryConfig = ShortHistoryConfig()
    ranker: RankerConfig = RankerConfig()
    blend: BlendConfig = BlendConfig()
    index: IndexConfig = IndexConfig()
    serving_extras: ServingExtrasConfig = ServingExtrasConfig()


def load_config(path: Path | None) -> TrainConfig:
    """Parse a TOML file into a `TrainConfig` (None: the defaults).

    Raises:
        ConfigurationError: the file is missing, not TOML, or has unknown/invalid fields.
    """
    if path is None:
        return TrainConfig()
    try:
        return TrainConfig.model_validate(tomllib.loads(path.read_text()))
    except (OSError, tomllib.TOMLDecodeError, ValidationError) as exc:
        raise ConfigurationError(f"bad training config {path}: {exc}") from exc


def load_training_config(path: Path | None) -> TrainConfig:
    """The config at `path`, else the shipped `configs/train/default.toml` (the working
    directory's, else the checkout's: `kit.shipped`), else the code defaults."""
    return load_config(path or shipped(DEFAULT_CONFIG))
