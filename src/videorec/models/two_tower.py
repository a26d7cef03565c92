"""Two-tower retrieval: a user tower and a post tower whose unit vectors meet by inner product."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Literal, ParamSpec

import torch
import torch.nn.functional as F
from torch import nn

from videorec.errors import ConfigurationError
from videorec.models.layers import INIT_STD, MLP, PostEncoder, init_embedding
from videorec.models.sequence import SequenceEncoder

UserEncoder = Literal["pool", "sasrec"]
P = ParamSpec("P")


class TwoTower(nn.Module):
    """User tower (the history, optionally plus an own id embedding) and post tower.

    The history items and the candidate posts share one `PostEncoder`, so what a user watched
    and what they are offered live in the same space. The history is read either as a
    signal-weighted mean (`pool`) or by causal self-attention over its order (`sasrec`). Without a
    user id (`user_id=False`), or for a user the model never saw (row 0), the vector comes from
    the history alone: new users and new events count at once, without retraining (fold-in).

    Args:
        encoder: the shared post encoder.
        n_users: user vocabulary size (OOV row included).
        user_dim: width of the user id embedding.
        hidden: hidden widths of both tower MLPs.
        out_dim: width of the output vectors.
        dropout: dropout inside the tower MLPs.
        sparse: give the user id table sparse gradients (see `PostEncoder`).
        user_encoder: `pool` or `sasrec`.
        user_id: whether the user tower reads a user id embedding.
        history_length: the longest history window (`sasrec` positions).
        layers, heads: `sasrec` Transformer blocks and attention heads (at `out_dim` wide).
        init_std: standard deviation of the user id table's initial weights.
        normalize: unit vectors (cosine similarity); False: raw inner products, whose post
            norms can carry popularity.
        history_ids: give the user tower its own post id table, `dim` wide, pooled over the
            history beside the shared encoding: the posts a user watched then weigh in through
            other vectors than the ones that rank them (input and output item weights differ,
            as in EASE and Mult-DAE). `pool` user encoder only.
        post_bias: a learned bias per post (the post id table's rows, zero at the start) in
            the score, kept ANN-compatible: post vectors get the bias as one extra last
            coordinate and user vectors a constant 1 there, so every inner product (training
            softmax, index, serving) is the similarity plus the post's bias.
    """

    def __init__(
        self,
        encoder: PostEncoder,
        *,
        n_users: int,
        user_dim: int,
        hidden: list[int],
        out_dim: int,
        dropout: float = 0.0,
        sparse: bool = False,
        user_encoder: UserEncoder = "pool",
        user_id: bool = True,
        history_length: int = 50,
        layers: int = 1,
        heads: int = 2,
        init_std: float = INIT_STD,
        normalize: bool = True,
        history_ids: bool = False,
        post_bias: bool = False,
    ) -> None:
        super().__init__()
        self.encoder = encoder
        self.normalize = normalize
        self.users: nn.Embedding | None = None
        if user_id:
            self.users = nn.Embedding(n_users, user_dim, sparse=sparse)
            init_embedding(self.users, init_std)
        self.sequence: SequenceEncoder | None = None
        history_width = encoder.out_dim
        if user_encoder == "sasrec":
            # Attention at the output width, not the post encoding's (6 * dim): a step's
            # Transformer cost grows with the width squared, and at 192 wide one `sequence`
            # epoch of the demo data took minutes of one CPU thread.
            self.sequence = SequenceEncoder(
                encoder.out_dim, width=out_dim, length=history_length,
                layers=layers, heads=heads, dropout=dropout,
            )  # fmt: skip
            history_width = self.sequence.out_dim
        self.history_ids: nn.Embedding | None = None
        if history_ids:
            if self.sequence is not None:
                raise ConfigurationError("history_ids needs the pool user encoder")
            self.history_ids = nn.Embedding(encoder.ids.num_embeddings, user_dim, sparse=sparse)
            init_embedding(self.history_ids, init_std)
            history_width += user_dim
        self.post_bias: nn.Embedding | None = None
        if post_bias:
            self.post_bias = nn.Embedding(encoder.ids.num_embeddings, 1, sparse=sparse)
            nn.init.zeros_(self.post_bias.weight)
        id_width = user_dim if user_id else 0
        self.user_mlp = MLP(id_width + history_width, hidden, out_dim, dropout)
        self.post_mlp = MLP(encoder.out_dim, hidden, out_dim, dropout)

    def user_vectors(
        self, users: torch.Tensor, history: torch.Tensor, weights: torch.Tensor
    ) -> torch.Tensor:
        """User tower.

        Args:
            users: shape (b,), user vocabulary rows (0 = unknown user).
            history: shape (b, L), post table rows of recent events, oldest first.
            weights: shape (b, L), signed signal weights (0 = padding).

        Returns:
            shape (b, out_dim), unit norm.
        """
        return self.finish_user(self.user_mlp(self.user_inputs(users, history, weights)))

    def user_inputs(
        self, users: torch.Tensor, history: torch.Tensor, weights: torch.Tensor
    ) -> torch.Tensor:
        """What the user MLP reads: the history's summary (and the user id embedding), shape
        (b, in width of `user_mlp`). A second user MLP on the same inputs (the short-history
        tower, `models.short_history`) shares this part."""
        if self.sequence is not None:
            summary = self.sequence(self.encoder(history), weights)
        else:
            summary = self.encoder.pool(history, weights)
        if self.history_ids is not None:
            own = pooled_ids(self.history_ids, self.encoder, history, weights)
            summary = torch.cat([summary, own], -1)
        parts = [summary] if self.users is None else [self.users(users), summary]
        return torch.cat(parts, -1)

    def every_slot_user_vectors(
        self, users: torch.Tensor, history: torch.Tensor, weights: torch.Tensor
    ) -> torch.Tensor:
        """`sasrec` user tower after every event of a window, in one causal pass (training).

        Args:
            users: shape (b,), user vocabulary rows (0 = unknown user).
            history: shape (b, L), post table rows, oldest first, right-aligned.
            weights: shape (b, L), signed signal weights (0 = padding).

        Returns:
            shape (b, L, out_dim): slot t is the user vector from the events up to slot t, the
            one that predicts the event after it; the last slot equals `user_vectors`.
        """
        if self.sequence is None:
            raise ConfigurationError("every_slot_user_vectors needs the sasrec user encoder")
        summary = self.sequence.every_slot(self.encoder(history), weights)
        parts = [summary]
        if self.users is not None:
            ids = self.users(users).unsqueeze(1).expand(-1, summary.shape[1], -1)
            parts = [ids, summary]
        return self.finish_user(self.user_mlp(torch.cat(parts, -1)))

    def post_vectors(self, rows: torch.Tensor) -> torch.Tensor:
        """Post tower: shape (...,) table rows -> shape (..., out_dim), unit norm (with
        `post_bias`: shape (..., out_dim + 1), the bias last)."""
        vectors = self._unit(self.post_mlp(self.encoder(rows)))
        if self.post_bias is None:
            return vectors
        ids = self.encoder.get_buffer("table_id_rows")[rows]
        return torch.cat([vectors, self.post_bias(ids).to(vectors.dtype)], -1)

    def finish_user(self, vectors: torch.Tensor) -> torch.Tensor:
        """A user MLP's output, shape (..., out_dim), as a user vector (`finished_user`)."""
        return finished_user(vectors, normalize=self.normalize, bias=self.post_bias is not None)

    def _unit(self, vectors: torch.Tensor) -> torch.Tensor:
        return F.normalize(vectors, dim=-1) if self.normalize else vectors

    def forward(
        self,
        users: torch.Tensor,
        history: torch.Tensor,
        weights: torch.Tensor,
        posts: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Both towers for a batch of (user, positive post) pairs: (b, d) and (b, d)."""
        return self.user_vectors(users, history, weights), self.post_vectors(posts)


def finished_user(vectors: torch.Tensor, *, normalize: bool, bias: bool) -> torch.Tensor:
    """A user MLP's output as a user vector: unit norm if `normalize`, and with a post bias a
    constant 1 appended, which meets the posts' bias coordinate in the inner product."""
    vectors = F.normalize(vectors, dim=-1) if normalize else vectors
    if not bias:
        return vectors
    return torch.cat([vectors, torch.ones_like(vectors[..., :1])], -1)


def pooled_ids(
    table: nn.Embedding, encoder: PostEncoder, history: torch.Tensor, weights: torch.Tensor
) -> torch.Tensor:
    """Signed weighted mean of the history posts' rows of an id table (indexed like the post
    encoder's id table), shape (b, width): `weighted_pool` of `table`, one `embedding_bag`."""
    ids = encoder.get_buffer("table_id_rows").index_select(0, history.reshape(-1))
    share = weights / weights.abs().sum(-1, keepdim=True).clamp(min=1e-6)
    return F.embedding_bag(
        ids.reshape(history.shape), table.weight, mode="sum", per_sample_weights=share,
        sparse=table.sparse,
    )  # fmt: skip


def _float32(loss: Callable[P, torch.Tensor]) -> Callable[P, torch.Tensor]:
    """Run a loss in float32 with autocast off, its floating tensor arguments (and those of
    tuple arguments) cast to float32: towers trained under bfloat16 autocast
    (`training.precision`) hand in bfloat16 vectors, and logits, softmax and masking
    (`finfo.min`) want float32."""

    def full(value: object) -> object:
        if isinstance(value, torch.Tensor) and value.is_floating_point():
            return value.float()
        if isinstance(value, tuple):
            return tuple(full(v) for v in value)
        return value

    @functools.wraps(loss)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> torch.Tensor:
        device = next(a for a in args if isinstance(a, torch.Tensor)).device
        with torch.autocast(device.type, enabled=False):
            cast = [full(a) for a in args]
            return loss(*cast, **{k: full(v) for k, v in kwargs.items()})  # type: ignore[arg-type]

    return wrapped


@_float32
def sampled_softmax_loss(
    user_vectors: torch.Tensor,
    post_vectors: torch.Tensor,
    post_ids: torch.Tensor,
    log_q: torch.Tensor,
    temperature: float,
    pool: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None,
) -> torch.Tensor:
    """Sampled softmax over mixed negatives, with logQ correction and no accidental hits.

    Negatives of a user are the other positives of the batch (in-batch: popular posts turn up
    more often) and, optionally, a pool drawn uniformly from the catalogue (covers the long
    tail). Each candidate's logit is lowered by the log of its expected count among all the
    candidates of a batch (`log_q`, in-batch and pool draws together), so the softmax estimates
    the full-catalogue one instead of learning to push popular posts down. A post that is also
    the user's positive is never its negative.

    Args:
        user_vectors: shape (b, d).
        post_vectors: shape (b, d), the positives in batch order.
        post_ids: shape (b,), ids of the positives (for accidental hits).
        log_q: shape (b,), log expected count of each positive among a batch's candidates.
        temperature: divides the inner products.
        pool: uniform negatives `(vectors (n, d), ids (n,), log_q (n,))`, or None.

    Returns:
        scalar mean cross-entropy; the target of row i is column i.
    """
    logits = user_vectors @ post_vectors.T / temperature - log_q.unsqueeze(0)
    same = post_ids.unsqueeze(0) == post_ids.unsqueeze(1)
    accidental = same & ~torch.eye(same.shape[0], dtype=torch.bool, device=same.device)
    if pool is not None:
        vectors, ids, pool_log_q = pool
        logits = torch.cat(
            [logits, user_vectors @ vectors.T / temperature - pool_log_q.unsqueeze(0)], dim=1
        )
        accidental = torch.cat([accidental, post_ids.unsqueeze(1) == ids.unsqueeze(0)], dim=1)
    logits = logits.masked_fill(accidental, torch.finfo(logits.dtype).min)
    target = torch.arange(logits.shape[0], device=logits.device)
    return F.cross_entropy(logits, target)


@_float32
def full_softmax_loss(
    user_vectors: torch.Tensor,
    catalogue_vectors: torch.Tensor,
    targets: torch.Tensor,
    known: torch.Tensor,
    temperature: float,
) -> torch.Tensor:
    """Softmax over every post of the catalogue: exact gradients where the catalogue is small.

    The user's other known posts are masked out of the candidates, so each example ranks its
    held-out post among the posts the user has not engaged with, as evaluation and serving do
    (they never recommend what the user already saw).

    Args:
        user_vectors: shape (b, d).
        catalogue_vectors: shape (m, d), post-tower vectors of table rows 1..m.
        targets: shape (b,), the held-out post of each example as a column (table row - 1).
        known: shape (b, m), True for the user's other posts (never negatives); the target's
            own column is ignored.
        temperature: divides the inner products.

    Returns:
        scalar mean cross-entropy.
    """
    logits = user_vectors @ catalogue_vectors.T / temperature
    rows = torch.arange(targets.shape[0], device=targets.device)
    known = known.clone()
    known[rows, targets] = False
    logits = logits.masked_fill(known, torch.finfo(logits.dtype).min)
    return F.cross_entropy(logits, targets)


@_float32
def multi_target_softmax_loss(
    user_vectors: torch.Tensor,
    catalogue_vectors: torch.Tensor,
    targets: torch.Tensor,
    seen: torch.Tensor,
    temperature: float,
) -> torch.Tensor:
    """Multinomial likelihood of several held-out posts per user over the whole catalogue.

    One softmax per user over every post but the ones of its history (`seen`); the loss is the
    mean negative log-probability of the targets (each target counts once, as with one example
    per target, but the user tower runs once per user).

    Args:
        user_vectors: shape (b, d).
        catalogue_vectors: shape (m, d), post-tower vectors of table rows 1..m.
        targets: shape (b, m), True for each user's held-out posts.
        seen: shape (b, m), True for the posts of each user's history.
        temperature: divides the inner products.

    Returns:
        scalar mean cross-entropy per target.
    """
    logits = user_vectors @ catalogue_vectors.T / temperature
    logits = logits.masked_fill(seen & ~targets, torch.finfo(logits.dtype).min)
    log_probs = torch.log_softmax(logits, dim=-1)
    picked = torch.where(targets, log_probs, torch.zeros_like(log_probs))
    return -picked.sum() / targets.sum().clamp(min=1)


@_float32
def sampled_multi_target_loss(
    user_vectors: torch.Tensor,
    candidate_vectors: torch.Tensor,
    log_q: torch.Tensor,
    target_example: torch.Tensor,
    target_column: torch.Tensor,
    seen: torch.Tensor,
    temperature: float,
) -> torch.Tensor:
    """`multi_target_softmax_loss` over a sample of the catalogue, for big catalogues.

    The candidates are the batch's targets (each user's own, and the other users', which are
    in-batch negatives) plus a uniform pool, each post once. Each logit is lowered by the log of
    its post's probability of being among a batch's candidates (`log_q`), so the sampled
    softmax estimates the full-catalogue one instead of pushing popular posts down. A user's
    other posts (`seen`) are never its negatives; its own other targets stay in its softmax,
    as in the full loss. Written for a (batch x candidates) matrix of ~4M logits at 10M events:
    temperature and logQ enter through one matrix product, the targets are gathered, not
    masked, and the normaliser is one `logsumexp` per user.

    Args:
        user_vectors: shape (b, d).
        candidate_vectors: shape (c, d), post-tower vectors of the candidate posts.
        log_q: shape (c,), log inclusion probability of each candidate.
        target_example, target_column: shape (t,), each target as (user row, candidate column).
        seen: shape (b, c), True for each user's posts that are no target (masked out).
        temperature: divides the inner products.

    Returns:
        scalar mean cross-entropy per target.
    """
    ones = torch.ones_like(user_vectors[:, :1])
    scaled = torch.cat([user_vectors / temperature, ones], dim=1)
    corrected = torch.cat([candidate_vectors, -log_q.unsqueeze(1)], dim=1)
    logits = (scaled @ corrected.T).masked_fill(seen, torch.finfo(user_vectors.dtype).min)
    normaliser = torch.logsumexp(logits, dim=1)
    picked = logits[target_example, target_column]
    return (normaliser[target_example] - picked).sum() / max(target_example.shape[0], 1)
