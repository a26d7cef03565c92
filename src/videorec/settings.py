"""The one place configuration is read: environment variables and an optional `.env` file.

Every setting is documented in the README's configuration table and in `.env.example`.
Build it through `get_settings()` (cached), never at import time, so tests can override it.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from videorec.errors import ConfigurationError

DEFAULT_VAR_DIR = Path("var")
DEV_CURSOR_SECRET = "dev-insecure-cursor-secret"
"""The cursor secret in the repo: anyone can sign cursors with it, so production refuses it."""


class Settings(BaseSettings):
    """Runtime configuration of videorec."""

    model_config = SettingsConfigDict(
        env_prefix="VIDEOREC_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = f"sqlite:///{DEFAULT_VAR_DIR}/videorec.db"
    """SQLAlchemy URL: a SQLite file under ./var by default; `postgresql+psycopg://...` in prod."""

    var_dir: Path = DEFAULT_VAR_DIR
    """Where models, demo data and other local state live."""

    api_base_url: str = "https://api.socialverseapp.com"
    """Base URL of the upstream Socialverse API (or of a local `videorec replay-server`)."""

    flic_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("FLIC_TOKEN", "VIDEOREC_FLIC_TOKEN")
    )
    """Upstream `Flic-Token` header for /posts/summary/get and /users/get_all. Never logged."""

    resonance_key: SecretStr | None = None
    """Upstream `resonance_algorithm` key: switches the engagement endpoints to the global log."""

    redis_url: str | None = None
    """Optional Redis URL (`redis://127.0.0.1:6379/0`) for shared feed sessions across replicas."""

    host: str = "127.0.0.1"
    """Address `videorec serve` binds to."""

    port: int = Field(default=8000, ge=1, le=65535)
    """Port `videorec serve` listens on."""

    log_level: str = "INFO"
    """Log level of the structured logs (DEBUG, INFO, WARNING, ERROR)."""

    log_json: bool = False
    """Log JSON lines instead of human-readable key-value lines."""

    cursor_secret: SecretStr = SecretStr(DEV_CURSOR_SECRET)
    """Key that signs feed cursors. Set your own in production (`check_production` insists)."""

    env: str = "development"
    """`production` makes the server refuse unsafe defaults (see `check_production`)."""

    feed_config: Path = Path("configs/serve/default.toml")
    """TOML of feed knobs (page size caps, diversity caps, source weights); defaults if absent."""

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError(f"unknown log level {value!r}")
        return level

    def check_production(self) -> None:
        """Refuse to serve in production with the public default cursor secret.

        Raises:
            ConfigurationError: `VIDEOREC_ENV=production` and `VIDEOREC_CURSOR_SECRET` is unset,
                empty or the repo's default.
        """
        if self.env.strip().lower() != "production":
            return
        secret = self.cursor_secret.get_secret_value().strip()
        if secret in ("", DEV_CURSOR_SECRET):
            raise ConfigurationError(
                "VIDEOREC_ENV=production needs VIDEOREC_CURSOR_SECRET set to your own random "
                "value (the default is public, so anyone could forge feed cursors); e.g. "
                "VIDEOREC_CURSOR_SECRET=$(python -c 'import secrets; print(secrets.token_hex(32))')"
            )

    @property
    def models_dir(self) -> Path:
        """Folder of trained model artifacts (`<var_dir>/models/<version>/`)."""
        return self.var_dir / "models"

    @property
    def embedding_cache(self) -> Path:
        """The text-embedding cache shared by training and the feed (each text encoded once)."""
        return self.var_dir / "embeddings.npz"

    @property
    def feed_snapshots(self) -> Path:
        """Snapshots of the feed state (catalogue index, log statistics) reloaded at start-up."""
        return self.var_dir / "feed_state"

    def ensure_dirs(self) -> None:
        """Create the local state folders, and the SQLite file's folder when SQLite is used."""
        self.var_dir.mkdir(parents=True, exist_ok=True)
        if self.database_url.startswith("sqlite:///"):
            Path(self.database_url.removeprefix("sqlite:///")).parent.mkdir(
                parents=True, exist_ok=True
            )


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
