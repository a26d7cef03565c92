"""Training configs: the shipped default file and error handling."""

from __future__ import annotations

from pathlib import Path

import pytest

from videorec.errors import ConfigurationError
from videorec.training.config import TrainConfig, load_config

DEFAULT = Path(__file__).resolve().parents[2] / "configs" / "train" / "default.toml"


class TestLoadConfig:
    def test_shipped_default_file_matches_the_code_defaults(self) -> None:
        assert load_config(DEFAULT) == TrainConfig()

    def test_unknown_keys_are_a_configuration_error(self, tmp_path) -> None:
        path = tmp_path / "bad.toml"
        path.write_text("[two_tower]\nlearning_rat = 0.1\n")
        with pytest.raises(ConfigurationError, match="learning_rat"):
            load_config(path)
