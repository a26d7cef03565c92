"""Builders: flat arguments -> modules, and named presets (torchtune style).

`post_encoder(...)`, `two_tower(...)`, `retrieval(...)` (one two-tower or an ensemble) and
`ranker(...)` are component builders; `two_tower_small`
and `ranker_small` are presets. Config objects never reach the modules: the training recipes turn
a config into these flat keyword arguments. `sparse=True` gives the user and post id tables
sparse gradients, for training with a sparse optimiser (`training.optim`); it does not change
the weights or the outputs.
"""

from __future__ import annotations

from typing import Any

import torch

from videorec.models.ensemble import Retrieval, TwoTowerEnsemble
from videorec.models.layers import INIT_STD, PostEncoder
from videorec.models.ranker import Ranker
from videorec.models.two_tower import TwoTower, UserEncoder


def post_encoder(
    table: dict[str, torch.Tensor], *, n_ids: int, n_creators: int, n_categories: int,
    n_moods: int, dim: int, sparse: bool = False, init_std: float = INIT_STD,
) -> PostEncoder:  # fmt: skip
    return PostEncoder(
        table, n_ids=n_ids, n_creators=n_creators, n_categories=n_categories,
        n_moods=n_moods, dim=dim, sparse=sparse, init_std=init_std,
    )  # fmt: skip


def two_tower(
    table: dict[str, torch.Tensor], *, n_users: int, n_ids: int, n_creators: int,
    n_categories: int, n_moods: int, dim: int = 32, hidden: list[int] | None = None,
    out_dim: int = 64, dropout: float = 0.0, sparse: bool = False,
    user_encoder: UserEncoder = "pool", user_id: bool = True, history_length: int = 50,
    layers: int = 1, heads: int = 2, init_std: float = INIT_STD, normalize: bool = True,
    history_ids: bool = False, post_bias: bool = False,
) -> TwoTower:  # fmt: skip
    encoder = post_encoder(
        table, n_ids=n_ids, n_creators=n_creators, n_categories=n_categories,
        n_moods=n_moods, dim=dim, sparse=sparse, init_std=init_std,
    )  # fmt: skip
    return TwoTower(
        encoder, n_users=n_users, user_dim=dim, hidden=hidden if hidden is not None else [128],
        out_dim=out_dim, dropout=dropout, sparse=sparse, user_encoder=user_encoder,
        user_id=user_id, history_length=history_length, layers=layers, heads=heads,
        init_std=init_std, normalize=normalize, history_ids=history_ids, post_bias=post_bias,
    )  # fmt: skip


def retrieval(table: dict[str, torch.Tensor], *, members: int = 1, **args: Any) -> Retrieval:
    """One two-tower (`members = 1`) or an ensemble of `members` of them, each built by
    `two_tower(table, **args)` (`models.ensemble`)."""
    towers = [two_tower(table, **args) for _ in range(members)]
    return towers[0] if members == 1 else TwoTowerEnsemble(towers)


def ranker(
    table: dict[str, torch.Tensor], *, n_users: int, n_ids: int, n_creators: int,
    n_categories: int, n_moods: int, dim: int = 16, hidden: list[int] | None = None,
    dropout: float = 0.2, sparse: bool = False,
) -> Ranker:  # fmt: skip
    encoder = post_encoder(
        table, n_ids=n_ids, n_creators=n_creators, n_categories=n_categories,
        n_moods=n_moods, dim=dim, sparse=sparse,
    )  # fmt: skip
    return Ranker(
        encoder, n_users=n_users, user_dim=dim,
        hidden=hidden if hidden is not None else [128, 64], dropout=dropout, sparse=sparse,
    )  # fmt: skip


def two_tower_small(table: dict[str, torch.Tensor], **sizes: Any) -> TwoTower:
    """Preset: 32-wide parts, one 128 hidden layer, 64-d output vectors."""
    return two_tower(table, dim=32, hidden=[128], out_dim=64, **sizes)


def sasrec_small(table: dict[str, torch.Tensor], **sizes: Any) -> TwoTower:
    """Preset: the small two-tower with a one-block, two-head self-attention user encoder."""
    return two_tower(
        table, dim=32, hidden=[128], out_dim=64, user_encoder="sasrec", layers=1, heads=2, **sizes
    )


def ranker_small(table: dict[str, torch.Tensor], **sizes: Any) -> Ranker:
    """Preset: 16-wide parts, 128 -> 64 ReLU MLP, dropout 0.2."""
    return ranker(table, dim=16, hidden=[128, 64], dropout=0.2, **sizes)
