"""`videorec` turns a database it cannot reach or read, and a migration error, into one line and
exit code 1: they were tracebacks. A command that only reads does not create a database."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from videorec.cli import main


def run(argv: list[str], url: str, monkeypatch: pytest.MonkeyPatch) -> int:
    """`videorec ARGV` in this process (settings read afresh: the `fresh_settings` fixture)."""
    monkeypatch.setenv("VIDEOREC_DATABASE_URL", url)
    monkeypatch.setattr(sys, "argv", ["videorec", *argv])
    with pytest.raises(SystemExit) as done:
        main()
    return int(done.value.code or 0)


@pytest.mark.usefixtures("fresh_settings")
@pytest.mark.parametrize(
    ("argv", "url", "says"),
    [
        (["stats"], "garbage", "database URL (VIDEOREC_DATABASE_URL) is not one this install"),
        (["models", "list"], "sqlite:///{tmp}/empty.db", "run `videorec db upgrade`"),
        (["db", "upgrade", "bogus"], "sqlite:///{tmp}/x.db", "migration: Can't locate revision"),
        (["stats"], "postgresql+psycopg://x@127.0.0.1:1/test", "database error: connection"),
    ],
)
def test_one_readable_line_and_exit_1(
    argv: list[str],
    url: str,
    says: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty.db").touch()  # a database file without the schema
    assert run(argv, url.format(tmp=tmp_path), monkeypatch) == 1
    err = capsys.readouterr().err
    assert says in err
    assert "Traceback" not in err


@pytest.mark.usefixtures("fresh_settings")
@pytest.mark.parametrize(
    "argv", [["stats"], ["db", "current"], ["models", "list"], ["models", "activate", "v1"]]
)
def test_a_reading_command_names_the_missing_database_and_creates_none(
    argv: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Run outside the project folder, `stats` made an empty database there and reported zeros."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "var").mkdir()
    assert run(argv, "sqlite:///var/videorec.db", monkeypatch) == 1
    err = capsys.readouterr().err
    assert f"no database at {tmp_path / 'var' / 'videorec.db'}" in err
    assert not (tmp_path / "var" / "videorec.db").exists()


def test_a_database_error_that_is_a_bug_propagates_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """A constraint or a bad statement is a bug: its traceback (and statement) must show."""
    from sqlalchemy.exc import IntegrityError

    from videorec import cli

    def broken(**_: object) -> None:
        raise IntegrityError("INSERT INTO posts ...", {}, Exception("UNIQUE constraint failed"))

    monkeypatch.setattr(cli, "app", broken)
    with pytest.raises(IntegrityError):
        main()


@pytest.mark.parametrize(
    ("driver_says", "hint"),
    [
        ("no such table: model_versions", True),
        ('relation "model_versions" does not exist', True),
        ('FATAL:  database "nosuch" does not exist', False),  # upgrading would not help
        ('FATAL:  role "nobody" does not exist', False),
    ],
)
def test_the_upgrade_hint_only_where_the_schema_is_missing(driver_says: str, hint: bool) -> None:
    from sqlalchemy.exc import OperationalError

    from videorec.cli import database_message

    message = database_message(OperationalError("SELECT 1", {}, Exception(driver_says)))
    assert message is not None
    assert driver_says in message
    assert ("videorec db upgrade" in message) is hint


def test_brackets_in_an_error_are_printed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Rich read `[type=extra_forbidden ...]` in a config error as markup and dropped it."""
    from videorec import cli
    from videorec.errors import ConfigurationError

    def failing(**_: object) -> None:
        raise ConfigurationError("bad feed config [source_weight] [type=extra_forbidden]")

    monkeypatch.setattr(cli, "app", failing)
    with pytest.raises(SystemExit):
        main()
    assert "[source_weight] [type=extra_forbidden]" in capsys.readouterr().err
