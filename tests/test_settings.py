"""Settings come from the environment and `.env`; secrets never show in their repr."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from videorec.errors import ConfigurationError
from videorec.settings import Settings, get_settings


def test_defaults_use_embedded_sqlite(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert settings.database_url.startswith("sqlite:///")
    assert settings.api_base_url == "https://api.socialverseapp.com"
    assert settings.redis_url is None


def test_flic_token_is_read_under_its_original_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLIC_TOKEN", "flic_secret_value")
    monkeypatch.setenv("VIDEOREC_RESONANCE_KEY", "resonance_secret_value")
    settings = Settings()
    assert settings.flic_token is not None
    assert settings.flic_token.get_secret_value() == "flic_secret_value"
    assert "flic_secret_value" not in repr(settings)
    assert "resonance_secret_value" not in repr(settings)


def test_dotenv_file_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("VIDEOREC_DATABASE_URL", raising=False)
    (tmp_path / ".env").write_text("VIDEOREC_DATABASE_URL=sqlite:///from-dotenv.db\n")
    assert Settings().database_url == "sqlite:///from-dotenv.db"


def test_bad_log_level_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown log level"):
        Settings(log_level="LOUD")


def test_production_turns_auth_and_a_rate_limit_on_and_development_does_not() -> None:
    production = Settings(env="production")
    assert production.auth_required is True
    assert production.requests_per_window == (600, 60.0)
    development = Settings(env="development")
    assert development.auth_required is False
    assert development.requests_per_window is None
    assert Settings(env="production", auth_required=False, rate_limit="off").auth_required is False
    assert Settings(env="production", rate_limit="off").requests_per_window is None


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("5/minute", (5, 60.0)),
        ("10 / seconds", (10, 1.0)),
        ("1000/hour", (1000, 3600.0)),
        ("7/day", (7, 86400.0)),
    ],
)
def test_rate_limits_parse(text: str, parsed: tuple[int, float]) -> None:
    assert Settings(rate_limit=text).requests_per_window == parsed


@pytest.mark.parametrize("text", ["5/week", "0/minute", "minute", "-1/second", "5 per minute"])
def test_a_bad_rate_limit_is_refused(text: str) -> None:
    with pytest.raises(ValidationError, match="not like 600/minute"):
        Settings(rate_limit=text)


@pytest.mark.parametrize(
    ("variable", "value"),
    [("VIDEOREC_PORT", "abc"), ("VIDEOREC_ENV", "prod"), ("VIDEOREC_RATE_LIMIT", "5/week")],
)
@pytest.mark.usefixtures("fresh_settings")
def test_a_bad_variable_is_one_readable_error_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path, variable: str, value: str
) -> None:
    """Every command read the settings through `get_settings`, where a bad value was a pydantic
    traceback of 50 lines; it is now a `ConfigurationError` (the CLI prints `error: ...`)."""
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError) as raised:
        get_settings()
    assert f"{variable}: " in raised.value.message
    assert repr(value) in raised.value.message


def test_the_cli_prints_a_bad_variable_without_a_traceback(tmp_path) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    src = str(Path(__file__).resolve().parents[1] / "src")
    env = {**os.environ, "PYTHONPATH": src, "VIDEOREC_PORT": "abc"}
    done = subprocess.run(
        [sys.executable, "-c", "from videorec.cli import main; main()", "stats"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1
    assert "VIDEOREC_PORT" in done.stderr
    assert "Traceback" not in done.stderr
