"""A tiny post table and fixed-seed module builders for the model tests."""

from __future__ import annotations

import pytest
import torch

SIZES = {"n_users": 5, "n_ids": 6, "n_creators": 3, "n_categories": 3, "n_moods": 4}


def tiny_table() -> dict[str, torch.Tensor]:
    """Six table rows (row 0 = unknown post), deterministic features."""
    generator = torch.Generator().manual_seed(0)
    return {
        "id_rows": torch.tensor([0, 1, 2, 3, 4, 5]),
        "creator_rows": torch.tensor([0, 1, 2, 1, 2, 1]),
        "category_rows": torch.tensor([0, 1, 1, 2, 2, 0]),
        "mood_rows": torch.tensor([[0, 0], [1, 0], [2, 3], [3, 0], [1, 2], [0, 0]]),
        "dense": torch.randn(6, 4, generator=generator),
        "text": torch.randn(6, 8, generator=generator),
    }


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


@pytest.fixture
def table() -> dict[str, torch.Tensor]:
    return tiny_table()
