"""Settings come from the environment and `.env`; secrets never show in their repr."""

from __future__ import annotations

import pytest

from videorec.settings import Settings


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
