"""The one place configuration is read: environment variables and an optional `.env` file.

Every setting is documented in the README's configuration table and in `.env.example`.
Build it through `get_settings()` (cached), never at import time, so tests can override it.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
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

    feed_config: Path | None = None
    """TOML of feed knobs (page size caps, diversity caps, source weights); None: the shipped
    `configs/serve/default.toml` (the working directory's, else the checkout's), else the built-in
    defaults. A file named here that cannot be read is an error."""

    env: Literal["development", "test", "production"] = "development"
    """Where it runs; `production` turns API keys on, sets a default rate limit and refuses
    unsafe defaults (see `check_production`)."""

    auth_required: bool | None = None
    """Require an API key (`Authorization: Bearer ...`) on every route but `/health`.

    Unset: true when `env` is `production`, false otherwise (the server says so at start-up).
    """

    rate_limit: str | None = None
    """Token bucket per API key (per client address when auth is off), e.g. `600/minute`.

    Unset: `600/minute` when `env` is `production`, no limit otherwise; `off` disables it.
    """

    max_body_bytes: int = Field(default=1_048_576, ge=0)
    """Largest request body accepted (413 above)."""

    request_timeout_s: float = Field(default=30.0, gt=0)
    """A request still running after this long is answered 504 (`timeout`)."""

    sync_nice: int = Field(default=10, ge=0, le=19)
    """Niceness `videorec sync` adds to its own CPU priority as it starts (0: none). A sync on
    the server's machine then yields the cores to the server's requests, and runs at full speed
    when nothing else wants them."""

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError(f"unknown log level {value!r}")
        return level

    @field_validator("rate_limit")
    @classmethod
    def _known_rate(cls, value: str | None) -> str | None:
        if value is None or value.strip().lower() == "off":
            return value
        parse_rate(value)
        return value

    @model_validator(mode="after")
    def _production_defaults(self) -> Settings:
        if self.auth_required is None:
            self.auth_required = self.env == "production"
        if self.rate_limit is None and self.env == "production":
            self.rate_limit = "600/minute"
        return self

    def check_production(self) -> None:
        """Refuse to serve in production with the public default cursor secret.

        Raises:
            ConfigurationError: `VIDEOREC_ENV=production` and `VIDEOREC_CURSOR_SECRET` is unset,
                empty or the repo's default.
        """
        if self.env != "production":
            return
        secret = self.cursor_secret.get_secret_value().strip()
        if secret in ("", DEV_CURSOR_SECRET):
            raise ConfigurationError(
                "VIDEOREC_ENV=production needs VIDEOREC_CURSOR_SECRET set to your own random "
                "value (the default is public, so anyone could forge feed cursors); e.g. "
                "VIDEOREC_CURSOR_SECRET=$(python -c 'import secrets; print(secrets.token_hex(32))')"
            )

    @property
    def requests_per_window(self) -> tuple[int, float] | None:
        """The rate limit as (requests, window in seconds), or None when there is none."""
        if self.rate_limit is None or self.rate_limit.strip().lower() == "off":
            return None
        return parse_rate(self.rate_limit)

    @property
    def feed_snapshots(self) -> Path:
        """Snapshots of the feed state (catalogue index, log statistics) reloaded at start-up."""
        return self.var_dir / "feed_state"

    @property
    def models_dir(self) -> Path:
        """Folder of trained model artifacts (`<var_dir>/models/<version>/`)."""
        return self.var_dir / "models"

    @property
    def embedding_cache(self) -> Path:
        """The text-embedding cache shared by training and the feed (each text encoded once)."""
        return self.var_dir / "embeddings.npz"

    def ensure_dirs(self) -> None:
        """Create the local state folders, and the SQLite file's folder when SQLite is used."""
        self.var_dir.mkdir(parents=True, exist_ok=True)
        if self.database_url.startswith("sqlite:///"):
            Path(self.database_url.removeprefix("sqlite:///")).parent.mkdir(
                parents=True, exist_ok=True
            )


_WINDOWS = {"second": 1.0, "minute": 60.0, "hour": 3600.0, "day": 86400.0}


def parse_rate(text: str) -> tuple[int, float]:
    """`"600/minute"` -> (600, 60.0). Units: second, minute, hour, day (an `s` may follow).

    Raises:
        ValueError: anything else.
    """
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(second|minute|hour|day)s?\s*", text.lower())
    if match is None or int(match.group(1)) < 1:
        raise ValueError(f"rate limit {text!r} is not like 600/minute (second, minute, hour, day)")
    return int(match.group(1)), _WINDOWS[match.group(2)]


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once.

    Raises:
        ConfigurationError: a `VIDEOREC_*` variable (or `.env` line) has a bad value; the
            message names each variable, what is wrong and the value given.
    """
    try:
        return Settings()
    except ValidationError as exc:
        raise ConfigurationError(settings_problems(exc)) from None


def settings_problems(exc: ValidationError) -> str:
    """One line per bad setting, by its environment variable's name."""
    prefix = str(Settings.model_config.get("env_prefix", ""))
    lines = []
    for error in exc.errors():
        field = "_".join(str(part) for part in error["loc"]).upper()
        if not field:  # a check across fields: its input is every setting, URLs with passwords
            lines.append(f"settings: {error['msg']}")
            continue
        lines.append(f"{prefix}{field}: {error['msg']} (got {error.get('input')!r})")
    return "bad settings:\n  " + "\n  ".join(lines)
