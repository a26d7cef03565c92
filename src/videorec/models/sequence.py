"""SASRec-style user encoder: causal self-attention over the user's time-ordered history.

Each history item is its post encoding projected to `width`, plus a learnt position (its slot in
the right-aligned window, as SASRec) and its signed signal weight. A small pre-norm Transformer
attends causally: the output at slot t reads only slots <= t, so ONE pass over a user's sequence
gives a user vector after every event (training puts the loss at every slot, predicting the next
post) and the newest slot's output is the user's vector at serving. Padding (weight 0) is never
attended to; a padding slot reads only itself, so an empty history still gives a finite vector.
"""

from __future__ import annotations

import torch
from torch import nn

from videorec.models.layers import init_embedding


class SequenceEncoder(nn.Module):
    """Encodes a right-aligned history window, one vector per slot.

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
        self.heads = heads
        self.out_dim = width

    def every_slot(self, items: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        """Causal outputs at every slot.

        Args:
            items: shape (b, L, in_dim), post encodings, oldest first, right-aligned.
            weights: shape (b, L), signed signal weights (0 = padding).

        Returns:
            shape (b, L', width) with L' = min(L, length): slot t has read slots <= t only.
        """
        items, weights = items[:, -self.length :], weights[:, -self.length :]
        steps = items.shape[1]
        slots = torch.arange(self.length - steps, self.length, device=items.device)
        x = self.project(items) + self.positions(slots) + self.signal(weights.unsqueeze(-1))
        out = self.blocks(x, mask=self._mask(weights == 0))
        return self.norm(out)  # type: ignore[no-any-return]

    def forward(self, items: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        """The newest slot's output, shape (b, width): the user after their latest event."""
        return self.every_slot(items, weights)[:, -1]

    def _mask(self, padding: torch.Tensor) -> torch.Tensor:
        """Attention mask, shape (b * heads, L, L), True = blocked: later slots and padding
        keys are blocked; each slot may always read itself (no row is fully blocked)."""
        steps = padding.shape[1]
        later = torch.ones(steps, steps, dtype=torch.bool, device=padding.device).triu(1)
        itself = torch.eye(steps, dtype=torch.bool, device=padding.device)
        blocked = later.unsqueeze(0) | (padding.unsqueeze(1) & ~itself.unsqueeze(0))
        return blocked.repeat_interleave(self.heads, dim=0)
