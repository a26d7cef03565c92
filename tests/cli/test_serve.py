"""`videorec serve` refuses unsafe production settings before binding a port."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from videorec.api.app import create_app
from videorec.errors import ConfigurationError
from videorec.settings import Settings

SRC = str(Path(__file__).resolve().parents[2] / "src")


@pytest.mark.parametrize("secret", [None, "dev-insecure-cursor-secret", ""])
def test_production_with_the_default_secret_exits_naming_the_setting(tmp_path, secret) -> None:
    env = {**os.environ, "PYTHONPATH": SRC, "VIDEOREC_ENV": "production",
           "VIDEOREC_VAR_DIR": str(tmp_path), "VIDEOREC_PORT": "1"}  # fmt: skip
    env.pop("VIDEOREC_CURSOR_SECRET", None)
    if secret is not None:
        env["VIDEOREC_CURSOR_SECRET"] = secret
    done = subprocess.run(
        [sys.executable, "-c", "from videorec.cli import main; main()", "serve"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode != 0
    assert "VIDEOREC_CURSOR_SECRET" in done.stderr


def test_the_app_itself_refuses_to_start_in_production_with_the_default(tmp_path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", var_dir=tmp_path,
                        env="production")  # fmt: skip
    with pytest.raises(ConfigurationError, match="VIDEOREC_CURSOR_SECRET"):
        with TestClient(create_app(settings)):
            pass


def test_production_with_an_own_secret_passes_the_check() -> None:
    Settings(env="production", cursor_secret="a-long-random-value").check_production()
    Settings(env="development").check_production()  # the default is fine outside production
