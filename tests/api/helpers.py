"""Helpers of the API tests: keys in a committed database, and clients over it."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from videorec.api.app import create_app
from videorec.api.security.keys import mint_key
from videorec.kit.db import make_sessionmaker
from videorec.settings import Settings
from videorec.storage.repositories import api_keys

BEARER = "Bearer {}"


def add_key(engine: Engine, name: str, scopes: list[str]) -> str:
    key = mint_key()
    with make_sessionmaker(engine).begin() as session:
        api_keys.add(session, name=name, prefix=key.prefix, key_hash=key.key_hash, scopes=scopes)
    return key.secret


def make_client(engine: Engine, tmp_path: Path, **overrides: object) -> TestClient:
    settings = Settings(database_url="sqlite:///unused.db", var_dir=tmp_path / "var",
                        **overrides)  # type: ignore[arg-type]  # fmt: skip
    return TestClient(create_app(settings, engine=engine), raise_server_exceptions=False)


def auth(secret: str) -> dict[str, str]:
    return {"Authorization": BEARER.format(secret)}


def assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == "error"
    assert body["code"] == code
    assert set(body) == {"status", "code", "message"}
