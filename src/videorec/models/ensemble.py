"""Several independently trained two-towers served as one retrieval model.

Each member is a whole `TwoTower` (its own post encoder, id tables and MLPs) trained on its own
from its own seed. The ensemble's post vector is the members' post vectors side by side, and its
user vector the members' user vectors side by side, divided by the number of members; so one
inner product is the mean of the members' scores, and the ANN index, the precomputed post
vectors and the ONNX user tower serve it exactly as they serve one two-tower (only wider).

Why: on the demo data one two-tower's validation NDCG@10 moves by about ±0.005 from seed to
seed, and a pair validated above one two-tower at every seed tried (+0.016 / +0.006 / +0.003 at
seeds 0 / 1 / 2; bench/results/2026-11-28-ensemble.md). It costs a second training and twice the
vector width.

The short-history tower (`models.short_history`) belongs to the first member: a user it serves
gets the first member's vector in the first member's coordinates and zeros elsewhere, which ranks
exactly as that member's short tower alone does.
"""

from __future__ import annotations

import torch
from torch import nn

from videorec.models.layers import PostEncoder
from videorec.models.two_tower import TwoTower


class TwoTowerEnsemble(nn.Module):
    """Members' vectors side by side; one inner product is the mean of their scores.

    Args:
        members: two or more trained (or to be loaded) `TwoTower`s of one post table.
    """

    def __init__(self, members: list[TwoTower]) -> None:
        super().__init__()
        if len(members) < 2:
            raise ValueError("an ensemble needs at least two members")
        self.members = nn.ModuleList(members)  # registers their weights
        self.towers: list[TwoTower] = list(members)
        """The same modules, typed (a plain list: `nn.ModuleList` is untyped)."""

    @property
    def lead(self) -> TwoTower:
        """The first member (the short-history tower's base)."""
        return self.towers[0]

    def user_vectors(
        self,
        users: torch.Tensor,
        history: torch.Tensor,
        weights: torch.Tensor,
        *,
        first: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """shape (b, sum of member widths): each member's user vector over the member count.

        `first`: the first member's user vectors when the caller has them already (the
        short-history dispatch computes them on its way)."""
        towers = self.towers
        lead = towers[0].user_vectors(users, history, weights) if first is None else first
        parts = [lead, *(m.user_vectors(users, history, weights) for m in towers[1:])]
        return torch.cat(parts, -1) / len(parts)

    def post_vectors(self, rows: torch.Tensor) -> torch.Tensor:
        """shape (..., sum of member widths): each member's post vector, side by side."""
        return torch.cat([m.post_vectors(rows) for m in self.towers], -1)


Retrieval = TwoTower | TwoTowerEnsemble
"""What the retrieval stage trains and serving loads: one two-tower or an ensemble of them."""


def lead_tower(retrieval: Retrieval) -> TwoTower:
    """The two-tower a short-history tower is built on: the model itself or the first member."""
    return retrieval.lead if isinstance(retrieval, TwoTowerEnsemble) else retrieval


def named_encoders(retrieval: Retrieval, name: str) -> list[tuple[str, PostEncoder]]:
    """Each post encoder under a stable name: `name` for one two-tower (and the first member),
    `name.k` for member k > 0 (the artifact's `encodings/` files)."""
    if isinstance(retrieval, TwoTower):
        return [(name, retrieval.encoder)]
    return [(name if k == 0 else f"{name}.{k}", m.encoder) for k, m in enumerate(retrieval.towers)]
