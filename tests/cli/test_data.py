"""`videorec generate` and `videorec import movielens` from the command line."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from videorec.cli import app
from videorec.datagen import is_generated, load_truth
from videorec.errors import NotFound
from videorec.settings import get_settings


@pytest.fixture
def fresh_sqlite(monkeypatch: pytest.MonkeyPatch, tmp_path):
    monkeypatch.setenv("VIDEOREC_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("VIDEOREC_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


class TestGenerateCommand:
    def test_writes_the_data_set_and_its_truth(self, tmp_path) -> None:
        out = tmp_path / "demo"
        args = ["generate", "--users", "100", "--posts", "200", "--interactions", "2000",
                "--seed", "5", "--out", str(out)]  # fmt: skip
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        assert (out / "view.json").exists()
        assert len(load_truth(out).user_ids) == 100

    def test_writes_into_the_var_dir_by_default(self, fresh_sqlite, tmp_path) -> None:
        args = ["generate", "--users", "50", "--posts", "60", "--interactions", "300"]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        assert (tmp_path / "var" / "demo" / "users.json").exists()

    def test_too_many_interactions_is_refused(self, tmp_path) -> None:
        args = ["generate", "--users", "10", "--posts", "30", "--interactions", "10000",
                "--out", str(tmp_path)]  # fmt: skip
        result = CliRunner().invoke(app, args)
        assert result.exit_code != 0
        assert not is_generated(tmp_path)


class TestImportMovielensCommand:
    def test_missing_folder_is_a_domain_error(self, fresh_sqlite, tmp_path) -> None:
        result = CliRunner().invoke(app, ["import", "movielens", "--path", str(tmp_path / "x")])
        assert isinstance(result.exception, NotFound)
