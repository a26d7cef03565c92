"""`videorec db upgrade|current|downgrade` against a fresh SQLite file."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from videorec.cli import app
from videorec.settings import get_settings


@pytest.fixture
def fresh_sqlite(monkeypatch: pytest.MonkeyPatch, tmp_path):
    monkeypatch.setenv("VIDEOREC_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("VIDEOREC_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_upgrade_then_downgrade(fresh_sqlite) -> None:
    runner = CliRunner()
    up = runner.invoke(app, ["db", "upgrade"])
    assert up.exit_code == 0, up.output
    assert "database at revision" in up.output
    current = runner.invoke(app, ["db", "current"])
    assert "empty" not in current.output
    down = runner.invoke(app, ["db", "downgrade", "base"])
    assert down.exit_code == 0, down.output
    assert "empty" in runner.invoke(app, ["db", "current"]).output
