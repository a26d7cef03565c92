"""Building blocks shared by the towers and the ranker: an MLP, a post encoder, history pooling."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

INIT_STD = 0.01
"""Standard deviation of the id tables' initial weights. PyTorch's default N(0, 1) leaves id
vectors mostly noise after the few hundred steps a catalogue-sized data set gives."""


class MLP(nn.Sequential):
    """Linear -> ReLU -> Dropout blocks, then a final Linear (no activation).

    Args:
        in_dim: input width.
        hidden: widths of the hidden layers.
        out_dim: output width.
        dropout: dropout probability after each hidden ReLU.
    """

    def __init__(self, in_dim: int, hidden: list[int], out_dim: int, dropout: float = 0.0) -> None:
        layers: list[nn.Module] = []
        width = in_dim
        for size in hidden:
            layers += [nn.Linear(width, size), nn.ReLU(), nn.Dropout(dropout)]
            width = size
        layers.append(nn.Linear(width, out_dim))
        super().__init__(*layers)


class PostEncoder(nn.Module):
    """Embeds posts by table row from id, creator, category, moods, text and dense features.

    The post table (see `features.pipeline.PostTable`) is held as non-persistent buffers: the
    artifact stores it once and hands it back at load.

    Args:
        table: dict of tensors `id_rows` (m+1,), `creator_rows` (m+1,), `category_rows` (m+1,),
            `mood_rows` (m+1, M), `dense` (m+1, D), `text` (m+1, T).
        n_ids, n_creators, n_categories, n_moods: vocabulary sizes (OOV row included).
        dim: width of each embedded part.
        sparse: give the post id table sparse gradients (only the rows a batch touches; train
            it with a sparse optimiser such as `torch.optim.SparseAdam`).
        init_std: standard deviation of the embedding tables' initial weights.
    """

    def __init__(
        self,
        table: dict[str, torch.Tensor],
        *,
        n_ids: int,
        n_creators: int,
        n_categories: int,
        n_moods: int,
        dim: int,
        sparse: bool = False,
        init_std: float = INIT_STD,
    ) -> None:
        super().__init__()
        for name, value in table.items():
            self.register_buffer(f"table_{name}", value, persistent=False)
        self.ids = nn.Embedding(n_ids, dim, sparse=sparse)
        self.creators = nn.Embedding(n_creators, dim)
        self.categories = nn.Embedding(n_categories, dim)
        self.moods = nn.Embedding(n_moods, dim, padding_idx=0)
        self.text = nn.Linear(int(table["text"].shape[-1]), dim)
        self.dense = nn.Linear(int(table["dense"].shape[-1]), dim)
        self.out_dim = 6 * dim
        for embedding in (self.ids, self.creators, self.categories, self.moods):
            init_embedding(embedding, init_std)
        self._frozen: torch.Tensor | None = None
        self.register_load_state_dict_post_hook(_drop_frozen)  # type: ignore[no-untyped-call]

    @torch.no_grad()
    def freeze(self, batch: int = 65_536) -> None:
        """Precompute the encoding of every table row, shape (m+1, 6 * dim), for serving.

        Later `forward` and `pool` calls index it instead of running six embeddings and two
        linears per call. Dropped by `train()` and by `load_state_dict` (early stopping restores
        the best weights that way), so the encodings never outlive the weights they came from.
        """
        self._frozen = None
        n = int(self.get_buffer("table_id_rows").shape[0])
        rows = torch.arange(n, device=self.get_buffer("table_id_rows").device)
        self._frozen = torch.cat([self._encode(rows[i : i + batch]) for i in range(0, n, batch)])

    def train(self, mode: bool = True) -> PostEncoder:
        if mode:
            self._frozen = None
        super().train(mode)
        return self

    def forward(self, rows: torch.Tensor) -> torch.Tensor:
        """Encode posts.

        Args:
            rows: shape (...,), post table rows.

        Returns:
            shape (..., 6 * dim).
        """
        # Batches repeat posts a lot (histories of similar users): encode each distinct row once.
        unique, inverse = torch.unique(rows.reshape(-1), return_inverse=True)
        return self._encode(unique)[inverse].reshape(*rows.shape, self.out_dim)

    def _encode(self, rows: torch.Tensor) -> torch.Tensor:
        if self._frozen is not None:
            return self._frozen[rows]
        parts = [
            self._embedded(rows),
            self.text(self._table("text", rows)),
            self.dense(self._table("dense", rows)),
        ]
        return torch.cat(parts, dim=-1)

    def _embedded(self, rows: torch.Tensor) -> torch.Tensor:
        """The embedding-table parts of the encoding (id, creator, category, moods)."""
        moods = self._table("mood_rows", rows)
        mood_count = (moods > 0).sum(-1, keepdim=True).clamp(min=1)
        parts = [
            self.ids(self._table("id_rows", rows)),
            self.creators(self._table("creator_rows", rows)),
            self.categories(self._table("category_rows", rows)),
            self.moods(moods).sum(-2) / mood_count,
        ]
        return torch.cat(parts, dim=-1)

    def pool(self, rows: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        """Signed weighted mean of encoded history items (see `weighted_pool`).

        Frozen (serving), `embedding_bag` sums the precomputed encodings of the rows. Training,
        every part is pooled from its inputs (`_pool_parts`), never encoding the history posts.

        Args:
            rows: shape (b, L), post table rows.
            weights: shape (b, L), signed weights (0 = padding).

        Returns:
            shape (b, 6 * dim).
        """
        share = weights / weights.abs().sum(-1, keepdim=True).clamp(min=1e-6)
        if self._frozen is None:
            return self._pool_parts(rows, share)
        unique, inverse = torch.unique(rows, return_inverse=True)
        return F.embedding_bag(inverse, self._encode(unique), per_sample_weights=share, mode="sum")

    def _pool_parts(self, rows: torch.Tensor, share: torch.Tensor) -> torch.Tensor:
        """`pool` without projecting the history posts' texts.

        The text and dense parts of the encoding are Linears of fixed table columns, so the
        weighted sum of their encodings is the Linear of the weighted sum of the columns (the
        bias weighted by the sum of the shares): at 10M events a batch of 512 histories of 200
        events holds ~19,000 distinct posts, and projecting their 384-wide texts (forward and
        backward) was a third of a training step, while projecting 512 pooled texts is nothing.
        The embedding parts are encoded once per distinct post, as in `forward`. Events of
        weight 0 (padding) are left out of the sums. Equal to encoding and then pooling up to
        float rounding (tested).

        Args:
            rows: shape (b, L), post table rows.
            share: shape (b, L), each event's weight over the sum of the absolute weights.
        """
        kept = share != 0
        flat, weights = rows[kept], share[kept]
        counts = kept.sum(-1)
        offsets = torch.cumsum(counts, 0) - counts

        def bag(indices: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
            return F.embedding_bag(indices, table, offsets, mode="sum", per_sample_weights=weights)

        unique, inverse = torch.unique(flat, return_inverse=True)
        biases = share.sum(-1, keepdim=True)
        parts = [
            bag(inverse, self._embedded(unique)),
            F.linear(bag(flat, self.get_buffer("table_text")), self.text.weight)
            + biases * self.text.bias,
            F.linear(bag(flat, self.get_buffer("table_dense")), self.dense.weight)
            + biases * self.dense.bias,
        ]
        return torch.cat(parts, dim=-1)

    def _table(self, name: str, rows: torch.Tensor) -> torch.Tensor:
        """Rows of one post table column; `index_select` gathers about twice as fast as
        `table[rows]` on CPU (the 384-wide text column dominates a batch at 100k posts)."""
        return self.get_buffer(f"table_{name}").index_select(0, rows)


def init_embedding(table: nn.Embedding, std: float = INIT_STD) -> None:
    """Small normal initial weights; the padding row (if any) stays zero."""
    with torch.no_grad():
        nn.init.normal_(table.weight, std=std)
        if table.padding_idx is not None:
            table.weight[table.padding_idx].zero_()


def _drop_frozen(module: nn.Module, _incompatible: object) -> None:
    """`load_state_dict` post hook: new weights make the precomputed encodings stale."""
    if isinstance(module, PostEncoder):
        module._frozen = None


def weighted_pool(items: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Signed weighted mean of history items; negative weights push away from disliked posts.

    Args:
        items: shape (b, L, d).
        weights: shape (b, L), 0 for padding.

    Returns:
        shape (b, d); zeros for an empty history.
    """
    norm = weights.abs().sum(-1, keepdim=True).clamp(min=1e-6)
    return (items * weights.unsqueeze(-1)).sum(-2) / norm
