"""The pipeline registry warms the feed state up in the background at start-up."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from tests.serving import world
from videorec.api.app import create_app
from videorec.features.text import EmbeddingCache
from videorec.kit.db import make_engine, make_sessionmaker
from videorec.serving.config import load_feed_config
from videorec.serving.registry import PipelineRegistry
from videorec.settings import Settings
from videorec.storage import migrate


def _world_database(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'world.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    with make_sessionmaker(engine).begin() as db:
        world.populate(db)
    engine.dispose()
    return url


def _wait_ready(registry: PipelineRegistry, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while registry.status != "ready" and time.monotonic() < deadline:
        time.sleep(0.05)


class TestWarmUp:
    def test_warm_up_builds_the_state_without_a_request(self, tmp_path) -> None:
        engine = make_engine(_world_database(tmp_path))
        registry = PipelineRegistry(load_feed_config(), EmbeddingCache().encode,
                                    sessionmaker=make_sessionmaker(engine))  # fmt: skip
        assert registry.status == "on first request"
        registry.warm_up()
        _wait_ready(registry)
        assert registry.status == "ready"
        assert registry._state is not None
        assert len(registry._state.index) == 120
        engine.dispose()

    def test_without_a_sessionmaker_the_first_request_builds_it(self) -> None:
        registry = PipelineRegistry(load_feed_config(), EmbeddingCache().encode)
        registry.warm_up()
        assert registry.status == "on first request"

    def test_the_app_warms_up_at_start_and_ready_reports_it(self, tmp_path) -> None:
        settings = Settings(database_url=_world_database(tmp_path), var_dir=tmp_path)
        with TestClient(create_app(settings)) as client:
            _wait_ready(client.app.state.feed.registry)  # type: ignore[attr-defined]
            checks = client.get("/ready").json()["checks"]
            body = client.get("/feed", params={"username": "fan0"}).json()
        assert checks["feed"] == "ready"
        assert len(body["post"]) == 20
