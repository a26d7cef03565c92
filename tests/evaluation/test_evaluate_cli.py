from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from videorec.cli import app
from videorec.features.text import EmbeddingCache
from videorec.settings import get_settings


@pytest.fixture(autouse=True)
def own_var_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """The command caches text embeddings under the settings' var dir: a temporary one here,
    not `var/` in the checkout."""
    monkeypatch.setenv("VIDEOREC_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


class TestEvaluateCommand:
    def test_writes_table_json_markdown_and_plot(self, socialverse_dir: Path, tmp_path: Path):
        out = tmp_path / "reports"
        result = CliRunner().invoke(
            app,
            [
                "evaluate",
                "--dataset", "demo",
                "--data", str(socialverse_dir),
                "--protocol", "random-811",
                "--models", "popularity,ease,served,offline-blend",
                "--no-slices",
                "--runs", "2",
                "--out", str(out),
            ],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert "wrote" in result.output
        payload = json.loads((out / "demo-random-811.json").read_text())
        names = ("popularity", "ease", "served-ranked", "offline-blend")
        ndcg = {m: payload["summary"][m]["ndcg@10"][0] for m in names}
        assert ndcg["ease"] > ndcg["popularity"]  # the taste groups are learnable
        assert ndcg["served-ranked"] > ndcg["popularity"]
        assert len(payload["values"]["served-displayed"]["recall@50"]) == 2
        assert "cold-1 served" not in payload["values"]  # --no-slices
        assert "| served-ranked |" in (out / "demo-random-811.md").read_text()
        assert (out / "demo-random-811.png").read_bytes()[:4] == b"\x89PNG"

    def test_data_with_the_database_dataset_is_a_clear_error(self, tmp_path: Path):
        """`--dataset db` reads the database: a `--data` beside it was ignored without a word."""
        result = CliRunner().invoke(app, ["evaluate", "--dataset", "db", "--data", str(tmp_path)])
        assert result.exit_code != 0
        assert "drop --data" in str(result.exception)

    def test_unknown_model_is_a_clear_error(self, socialverse_dir: Path, tmp_path: Path):
        args = ["evaluate", "--dataset", "demo", "--data", str(socialverse_dir), "--models", "bpr"]
        result = CliRunner().invoke(app, args)
        assert result.exit_code != 0
        assert "unknown models" in str(result.exception)

    @pytest.mark.parametrize("given", [False, True])
    def test_the_dnn_rows_train_with_the_config_videorec_train_uses(
        self, given: bool, socialverse_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ):
        from videorec.cli import evaluate as command
        from videorec.training.config import load_training_config

        seen: dict[str, object] = {}

        def record(*args: object, **kwargs: object) -> None:
            seen.update(kwargs)
            raise SystemExit(0)  # the row's config is what this test is about

        monkeypatch.setattr(command, "evaluate", record)
        args = ["evaluate", "--dataset", "demo", "--data", str(socialverse_dir)]
        want = load_training_config(None).model_dump()  # configs/train/default.toml
        if given:
            toml = tmp_path / "quick.toml"
            toml.write_text("[two_tower]\nepochs = 3\n")
            args += ["--train-config", str(toml)]
            want = load_training_config(toml).model_dump()
            assert want["two_tower"]["epochs"] == 3
        else:
            assert want["two_tower"]["epochs"] != 200  # the shipped file, not the code defaults
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        assert seen["train_config"] == want
        # the text cache itself, not its bound `encode`: with it the fits order and encode only
        # the texts not cached yet (`training.stages._text`), instead of tokenizing them all
        assert isinstance(seen["encoder"], EmbeddingCache)
