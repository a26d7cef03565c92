"""Training configs: the shipped default file and error handling."""

from __future__ import annotations

from pathlib import Path

import pytest

from videorec.errors import ConfigurationError
from videorec.training.config import TrainConfig, load_config, load_training_config

DEFAULT = Path(__file__).resolve().parents[2] / "configs" / "train" / "default.toml"


class TestLoadConfig:
    def test_shipped_default_file_only_shortens_the_code_defaults(self) -> None:
        """The shipped file differs from the code defaults only in how long training runs (so
        `videorec evaluate`, which trains with it, measures the recipe the code documents)."""
        shipped, code = load_config(DEFAULT), TrainConfig()
        assert shipped.two_tower.epochs < code.two_tower.epochs
        assert shipped.two_tower.patience < code.two_tower.patience
        assert shipped.two_tower.min_steps > code.two_tower.min_steps == 0
        assert shipped.ranker.max_pairs < code.ranker.max_pairs
        assert shipped.ranker.epochs < code.ranker.epochs
        shortened = shipped.model_copy(deep=True)
        shortened.two_tower.epochs = code.two_tower.epochs
        shortened.two_tower.patience = code.two_tower.patience
        shortened.two_tower.min_steps = code.two_tower.min_steps
        shortened.ranker.max_pairs = code.ranker.max_pairs
        shortened.ranker.epochs = code.ranker.epochs
        assert shortened == code

    def test_the_shipped_file_is_read_from_any_working_directory(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """`videorec up` or `train` run from another folder trains the shipped config (40 epochs),
        not the code defaults (200: it trained 67 epochs, past the 3 minutes)."""
        monkeypatch.chdir(tmp_path)
        assert load_training_config(None) == load_config(DEFAULT) != TrainConfig()

    def test_unknown_keys_are_a_configuration_error(self, tmp_path) -> None:
        path = tmp_path / "bad.toml"
        path.write_text("[two_tower]\nlearning_rat = 0.1\n")
        with pytest.raises(ConfigurationError, match="learning_rat"):
            load_config(path)
