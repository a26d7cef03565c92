"""`videorec keys create|list|revoke` against a SQLite file."""

from __future__ import annotations

import sys

import pytest
from typer.testing import CliRunner

from videorec.cli import app, main
from videorec.kit.db import make_engine, make_sessionmaker
from videorec.settings import get_settings
from videorec.storage.repositories import api_keys

runner = CliRunner()


@pytest.fixture
def database(monkeypatch: pytest.MonkeyPatch, tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'keys.db'}"
    monkeypatch.setenv("VIDEOREC_DATABASE_URL", url)
    monkeypatch.setenv("VIDEOREC_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_create_prints_the_key_once_as_the_last_line_and_stores_its_hash(database) -> None:
    result = runner.invoke(app, ["keys", "create", "--name", "app", "--scopes", "feed:read,admin"])
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    assert secret.startswith("vr_")
    with make_sessionmaker(make_engine(database))() as session:
        (row,) = api_keys.list_all(session)
    assert row.scopes == ["feed:read", "admin"]
    assert secret not in row.key_hash
    listed = runner.invoke(app, ["keys", "list"])
    assert "app" in listed.output
    assert row.prefix in listed.output
    assert secret not in listed.output


def test_list_and_revoke(database) -> None:
    runner.invoke(app, ["keys", "create", "--name", "gone", "--scopes", "feed:read"])
    assert runner.invoke(app, ["keys", "revoke", "gone"]).exit_code == 0
    with make_sessionmaker(make_engine(database))() as session:
        assert api_keys.list_all(session)[0].revoked_at is not None


@pytest.mark.parametrize(("args", "message"), [
    (["--name", "x", "--scopes", "feed:write"], "unknown scope"),
    (["--name", "x", "--scopes", ","], "at least one scope"),
    (["--name", "", "--scopes", "admin"], "--name"),
])  # fmt: skip
def test_bad_input_is_a_readable_error(database, args, message, monkeypatch, capsys) -> None:
    monkeypatch.setattr(sys, "argv", ["videorec", "keys", "create", *args])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_duplicate_names_and_unknown_revocations_fail(database) -> None:
    runner.invoke(app, ["keys", "create", "--name", "dup", "--scopes", "admin"])
    again = runner.invoke(app, ["keys", "create", "--name", "dup", "--scopes", "admin"])
    assert again.exit_code != 0
    assert runner.invoke(app, ["keys", "revoke", "nobody"]).exit_code != 0
