"""Two-tower retrieval: a user tower and a post tower whose unit vectors meet by inner product."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from videorec.models.layers import MLP, PostEncoder


class TwoTower(nn.Module):
    """User tower (own id embedding + signal-weighted pooled history) and post tower.

    The history items and the candidate posts share one `PostEncoder`, so what a user watched
    and what they are offered live in the same space.

    Args:
        encoder: the shared post encoder.
        n_users: user vocabulary size (OOV row included).
        user_dim: width of the user id embedding.
        hidden: hidden widths of both tower MLPs.
        out_dim: width of the output vectors.
        dropout: dropout inside the tower MLPs.
        sparse: give the user id table sparse gradients (see `PostEncoder`).
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
    ) -> None:
        super().__init__()
        self.encoder = encoder
        self.users = nn.Embedding(n_users, user_dim, sparse=sparse)
        self.user_mlp = MLP(user_dim + encoder.out_dim, hidden, out_dim, dropout)
        self.post_mlp = MLP(encoder.out_dim, hidden, out_dim, dropout)

    def user_vectors(
        self, users: torch.Tensor, history: torch.Tensor, weights: torch.Tensor
    ) -> torch.Tensor:
        """User tower.

        Args:
            users: shape (b,), user vocabulary rows (0 = unknown user).
            history: shape (b, L), post table rows of recent events.
            weights: shape (b, L), signed signal weights (0 = padding).

        Returns:
            shape (b, out_dim), unit norm.
        """
        pooled = self.encoder.pool(history, weights)
        return F.normalize(self.user_mlp(torch.cat([self.users(users), pooled], -1)), dim=-1)

    def post_vectors(self, rows: torch.Tensor) -> torch.Tensor:
        """Post tower: shape (...,) table rows -> shape (..., out_dim), unit norm."""
        return F.normalize(self.post_mlp(self.encoder(rows)), dim=-1)

    def forward(
        self,
        users: torch.Tensor,
        history: torch.Tensor,
        weights: torch.Tensor,
        posts: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Both towers for a batch of (user, positive post) pairs: (b, d) and (b, d)."""
        return self.user_vectors(users, history, weights), self.post_vectors(posts)


def sampled_softmax_loss(
    user_vectors: torch.Tensor,
    post_vectors: torch.Tensor,
    post_ids: torch.Tensor,
    log_q: torch.Tensor,
    temperature: float,
) -> torch.Tensor:
    """In-batch sampled softmax with logQ correction and removal of accidental hits.

    Every other post of the batch is a negative for a user. Popular posts turn up as negatives
    more often, so their logit is lowered by log q (their sampling probability). A post that
    appears twice in the batch is not a negative for its own other occurrence.

    Args:
        user_vectors: shape (b, d).
        post_vectors: shape (b, d), the positives in batch order.
        post_ids: shape (b,), ids of the positives (for accidental hits).
        log_q: shape (b,), log sampling probability of each positive.
        temperature: divides the inner products.

    Returns:
        scalar mean cross-entropy.
    """
    logits = user_vectors @ post_vectors.T / temperature - log_q.unsqueeze(0)
    same = post_ids.unsqueeze(0) == post_ids.unsqueeze(1)
    accidental = same & ~torch.eye(same.shape[0], dtype=torch.bool, device=same.device)
    logits = logits.masked_fill(accidental, torch.finfo(logits.dtype).min)
    target = torch.arange(logits.shape[0], device=logits.device)
    return F.cross_entropy(logits, target)
