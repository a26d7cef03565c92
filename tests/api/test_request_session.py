"""The production request session (`api/deps.py`), with no test override: a request's writes are
committed before its response starts, and rolled back when the route fails.

The app is wrapped in an ASGI shim that, at the moment the response starts (the status line
leaves the server), looks at the database through its own connection: what it sees there is
what any other replica would see when the client acts on the response.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tests.conftest import PostgresFactory, fresh_database_url
from tests.factories import create_category
from tests.serving import world
from videorec.api.app import create_app
from videorec.api.deps import SessionDep
from videorec.features.text import EmbeddingCache
from videorec.kit.db import make_engine, make_sessionmaker
from videorec.serving.config import load_feed_config
from videorec.serving.registry import PipelineRegistry
from videorec.settings import Settings
from videorec.storage import migrate
from videorec.storage.tables import Category, FeedSession


@pytest.fixture(params=["sqlite", "postgresql"])
def committed_engine(request, tmp_path, postgres_factory: PostgresFactory) -> Iterator[Engine]:
    """A fresh, migrated database holding the committed seeded world."""
    engine = make_engine(fresh_database_url(request.param, tmp_path, postgres_factory))
    migrate.upgrade(engine)
    with make_sessionmaker(engine).begin() as db:
        world.populate(db)
    yield engine
    engine.dispose()


class AtResponseStart:
    """ASGI wrapper: runs `probe()` when the app sends `http.response.start`, keeps its result."""

    def __init__(self, app: FastAPI, probe: Callable[[], Any]) -> None:
        self.app, self.probe, self.seen = app, probe, []  # type: list[Any]

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def spy(message: Any) -> None:
            if message["type"] == "http.response.start" and scope.get("path") != "/health":
                self.seen.append(self.probe())
            await send(message)

        await self.app(scope, receive, spy)


def _count(engine: Engine, table: type) -> int:
    with Session(engine) as other:  # a connection of its own, not the request's
        return int(other.scalar(select(func.count()).select_from(table)) or 0)


def _app(engine: Engine, tmp_path, text_cache: EmbeddingCache) -> FastAPI:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'unused.db'}",
                        var_dir=tmp_path / "var")  # fmt: skip
    registry = PipelineRegistry(load_feed_config(), text_cache.encode)
    return create_app(settings, engine=engine, registry=registry)


def test_a_feed_session_is_committed_before_its_response_starts(
    committed_engine: Engine, tmp_path, text_cache: EmbeddingCache
) -> None:
    app = _app(committed_engine, tmp_path, text_cache)
    shim = AtResponseStart(app, lambda: _count(committed_engine, FeedSession))
    with TestClient(shim) as client:  # type: ignore[arg-type]
        first = client.get("/feed", params={"username": "fan1", "page_size": 5})
        second = client.get("/feed", params={"username": "nobody", "page_size": 5})
    assert first.status_code == second.status_code == 200
    assert first.json()["next_cursor"]
    assert shim.seen == [1, 2]  # each request's session row was visible as its response began


def test_a_route_that_fails_rolls_its_writes_back(
    committed_engine: Engine, tmp_path, text_cache: EmbeddingCache
) -> None:
    app = _app(committed_engine, tmp_path, text_cache)

    def write(session: SessionDep, fail: bool = False) -> dict[str, int]:
        create_category(session, id=77, name="written by a request")
        if fail:
            raise RuntimeError("after the write")
        return {"ok": 1}

    app.add_api_route("/write", write, methods=["POST"])
    shim = AtResponseStart(app, lambda: _count(committed_engine, Category))
    before = _count(committed_engine, Category)
    with TestClient(shim, raise_server_exceptions=False) as client:  # type: ignore[arg-type]
        failed = client.post("/write", params={"fail": True})
        assert _count(committed_engine, Category) == before
        done = client.post("/write")
    assert failed.status_code == 500
    assert done.status_code == 200
    assert shim.seen == [before, before + 1]
