"""SASRec-style user encoder: self-attention over the user's recent history.

Each history item is its post encoding projected to `width`, plus a learnt position (counted from
the newest event) and its signed signal weight. A small pre-norm Transformer attends over the
whole window (bidirectional: the item the user goes on to want is never in it) and the newest
position's output is the user's vector, so order and recency are learnt rather than fixed by a
decay. Padding (weight 0) is masked out; the newest position never is, so an empty history still
gives a finite vector.
"""

from __future__ import annotations

import torch
from torch import nn

from videorec.models.layers import init_embedding


class SequenceEncoder(nn.Module):
    """Encodes a right-aligned history window into one vector.

    Args:
        in_dim: width of a post encoding.
        width: model width (attention and output).
        length: longest window (positions beyond it are not embedded).
        layers: Transformer blocks.
        heads: attention heads (must divide `width`).
        dropout: dropout inside the blocks.
    """

    def __init__(
        self, in_dim: int, *, width: int, length: int, layers: int, heads: int, dropout: float
    ) -> None:
        super().__init__()
        self.project = nn.Linear(in_dim, width)
        self.positions = nn.Embedding(length, width)
        init_embedding(self.positions)
        self.signal = nn.Linear(1, width)
        block = nn.TransformerEncoderLayer(
            width, heads, 2 * width, dropout, batch_first=True, norm_first=True
        )
        self.blocks = nn.TransformerEncoder(block, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(width)
        self.length = length
        self.out_dim = width

    def forward(self, items: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        """Encode histories.

        Args:
            items: shape (b, L, in_dim), post encodings, oldest first, right-aligned.
            weights: shape (b, L), signed signal weights (0 = padding).

        Returns:
            shape (b, width).
        """
        items, weights = items[:, -self.length :], weights[:, -self.length :]
        steps = items.shape[1]
        newest_first = torch.arange(steps - 1, -1, -1, device=items.device)
        x = self.project(items) + self.positions(newest_first) + self.signal(weights.unsqueeze(-1))
        padding = weights == 0
        padding[:, -1] = False
        out = self.blocks(x, src_key_padding_mask=padding)
        return self.norm(out[:, -1])  # type: ignore[no-any-return]
