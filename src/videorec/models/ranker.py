"""The multi-task ranker: embeddings, a ReLU MLP with dropout, and one head per signal."""

from __future__ import annotations

import torch
from torch import nn

from videorec.models.layers import MLP, PostEncoder, init_embedding


class Ranker(nn.Module):
    """Scores (user, post) pairs with sigmoid heads (view, like, inspire, high rating) and a
    rating regression.

    Input features: user id embedding, the candidate's encoding, the user's pooled history and
    its element-wise product with the candidate (a learnt user x post cross feature).

    Args:
        encoder: post encoder (its own, not shared with the two-tower model).
        n_users: user vocabulary size (OOV row included).
        user_dim: width of the user id embedding.
        hidden: hidden widths of the MLP.
        dropout: dropout after each hidden ReLU.
        n_heads: number of binary heads.
        sparse: give the user id table sparse gradients (see `PostEncoder`).
    """

    def __init__(
        self,
        encoder: PostEncoder,
        *,
        n_users: int,
        user_dim: int,
        hidden: list[int],
        dropout: float,
        n_heads: int = 4,
        sparse: bool = False,
    ) -> None:
        super().__init__()
        self.encoder = encoder
        self.users = nn.Embedding(n_users, user_dim, sparse=sparse)
        init_embedding(self.users)
        width = user_dim + 3 * encoder.out_dim
        self.n_heads = n_heads
        self.mlp = MLP(width, hidden, n_heads + 1, dropout)

    def forward(
        self,
        users: torch.Tensor,
        history: torch.Tensor,
        weights: torch.Tensor,
        posts: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Score c candidates for each of b users.

        Args:
            users: shape (b,), user vocabulary rows.
            history: shape (b, L), post table rows of the user's recent events.
            weights: shape (b, L), signed signal weights (0 = padding).
            posts: shape (b, c), post table rows of the candidates.

        Returns:
            logits of the binary heads, shape (b, c, n_heads), and the rating prediction on a
            0-1 scale (rating / 100), shape (b, c).
        """
        pooled = self.encoder.pool(history, weights).unsqueeze(1)
        post = self.encoder(posts)
        user = self.users(users).unsqueeze(1)
        shape = (-1, posts.shape[1], -1)
        features = torch.cat(
            [user.expand(shape), post, pooled.expand(shape), pooled * post], dim=-1
        )
        out = self.mlp(features)
        return out[..., : self.n_heads], torch.sigmoid(out[..., self.n_heads])

    def blend(
        self, logits: torch.Tensor, rating: torch.Tensor, weights: torch.Tensor
    ) -> torch.Tensor:
        """Final score: the blend weights (n_heads + 1,) dotted with [sigmoid(logits), rating].

        Args:
            logits: shape (..., n_heads).
            rating: shape (...).
            weights: shape (n_heads + 1,).

        Returns:
            shape (...).
        """
        return torch.cat([torch.sigmoid(logits), rating.unsqueeze(-1)], dim=-1) @ weights
