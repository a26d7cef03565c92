"""One small model trained once per session (with the real offline text encoder), shared by
the artifact and `LoadedModel` tests."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from videorec.features.log import InteractionLog, PostCatalog
from videorec.training import TrainConfig, fit
from videorec.training.model import LoadedModel
from videorec.training.synthetic import synthetic_data


def tiny_config(**two_tower: object) -> TrainConfig:
    config = TrainConfig.model_validate({
        "seed": 7,
        "split": {"validation_fraction": 0.2},
        "features": {"history_length": 10, "use_text": False},
        "two_tower": {"dim": 8, "hidden": [16], "out_dim": 8, "batch_size": 128, "epochs": 5,
                      "learning_rate": 0.02, "patience": 5, "members": 1,  # pairs: own tests
                      **two_tower},
        "ranker": {"dim": 4, "hidden": [16], "batch_size": 125, "epochs": 1, "rerank_depth": 10,
                   "learning_rate": 0.01},
    })  # fmt: skip
    return config


@pytest.fixture(scope="session")
def tiny_data() -> tuple[InteractionLog, PostCatalog]:
    return synthetic_data(users=60, posts=80, interactions=1_500, seed=11)


@pytest.fixture(scope="session")
def trained(tiny_data) -> LoadedModel:
    torch.set_num_threads(1)
    log, catalog = tiny_data
    config = tiny_config()
    config.features.use_text = True
    return fit(log, catalog, config)


def process_running(pid: int) -> bool:
    """Whether process `pid` exists and is not a zombie (Linux /proc)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
