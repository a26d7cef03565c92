"""One generated data set per module that needs it: generating is fast, reading JSON is not free."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from videorec.datagen import GeneratorConfig, generate

STATS_CONFIG = GeneratorConfig(users=3_000, posts=4_000, interactions=60_000, seed=7)
SERVED = ("users", "posts", "view", "like", "inspire", "rating")


def read_set(folder: Path) -> dict[str, list[dict[str, Any]]]:
    return {name: json.loads((folder / f"{name}.json").read_text()) for name in SERVED}


@pytest.fixture(scope="package")
def stats_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated")
    generate(STATS_CONFIG, out)
    return out


@pytest.fixture(scope="package")
def stats_set(stats_dir: Path) -> dict[str, list[dict[str, Any]]]:
    return read_set(stats_dir)
