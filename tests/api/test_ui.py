"""`/ui` and the offline `/docs` over HTTP (the browser tests are in tests/ui/)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.serving import world
from tests.serving.toy_model import ToyModel
from videorec.api.app import create_app
from videorec.api.deps import get_session
from videorec.api.ui import dashboard
from videorec.features.text import EmbeddingCache
from videorec.serving.config import load_feed_config
from videorec.serving.registry import PipelineRegistry
from videorec.storage.repositories import model_versions
from videorec.storage.repositories.quarantine import quarantine
from videorec.storage.tables import ModelVersion

SAME_AS_FEED = [
    {"username": "fan1"},
    {"username": "newbie", "mood": "calm"},
    {"username": "fan2", "category_id": "3", "page_size": "7"},
]
CARD = re.compile(r'data-post-id="(\d+)"')


@pytest.fixture(scope="module")
def text_cache() -> EmbeddingCache:
    return EmbeddingCache()


@pytest.fixture
def ui(engine, session, settings, text_cache) -> Iterator[TestClient]:
    """The seeded world with two registered toy models, `toy-1` active (seed 3) and `toy-2`."""
    world.populate(session)
    session.add_all([
        ModelVersion(version="toy-1", path="seed-3", is_active=True,
                     metrics={"two_tower": {"ndcg@10": 0.31, "recall@50": 0.3}}),
        ModelVersion(version="toy-2", path="seed-9", is_active=False, metrics={"ndcg@10": 0.2}),
    ])  # fmt: skip
    quarantine(session, "posts", [({"id": "x"}, "id: not an integer")])
    session.flush()
    ids = np.arange(1000, 1120)

    def loader(path: str) -> ToyModel:
        return ToyModel(ids, seed=int(path.removeprefix("seed-")))

    registry = PipelineRegistry(load_feed_config(), text_cache.encode, model_loader=loader)
    app = create_app(settings, engine=engine, registry=registry)
    app.dependency_overrides[get_session] = lambda: session
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _cards(html: str) -> list[int]:
    return [int(i) for i in CARD.findall(html)]


class TestExplorer:
    @pytest.mark.parametrize("params", SAME_AS_FEED)
    def test_shows_the_posts_of_get_feed_in_the_same_order(self, ui: TestClient, params) -> None:
        feed = ui.get("/feed", params=params).json()
        html = ui.get("/ui/explorer/results", params=params).text
        assert _cards(html) == [p["id"] for p in feed["post"]]
        assert len(_cards(html)) > 0

    def test_the_next_page_follows_the_real_cursor(self, ui: TestClient) -> None:
        html = ui.get("/ui/explorer/results", params={"username": "fan3"}).text
        cursor = re.search(r'"cursor": "([^"]+)"', html)
        assert cursor is not None
        page2 = ui.get("/ui/explorer/page", params={"username": "fan3", "cursor": cursor[1]}).text
        feed2 = ui.get("/feed", params={"username": "fan3", "cursor": cursor[1]}).json()
        assert _cards(page2) == [p["id"] for p in feed2["post"]]
        assert not set(_cards(page2)) & set(_cards(html))

    def test_two_model_versions_side_by_side(self, ui: TestClient) -> None:
        html = ui.get("/ui/explorer/results", params={"username": "fan1", "model_b": "toy-2"}).text
        live, other = html.split('data-version="toy-2"')
        assert "model toy-1" in live
        assert "model toy-2" in other
        assert "model toy-1" not in other
        assert _cards(live) != _cards(other)

    def test_bad_input_is_a_422_with_the_reason(self, ui: TestClient) -> None:
        response = ui.get("/ui/explorer/results", params={"username": "bad name!"})
        assert response.status_code == 422
        assert "username" in response.text

    def test_thumbnails_stay_local_unless_asked(self, ui: TestClient) -> None:
        html = ui.get("/ui/explorer/results", params={"username": "fan1"}).text
        assert "<img" not in html


class TestPages:
    def test_overview_shows_counts_quarantine_and_the_active_model(self, ui: TestClient) -> None:
        html = ui.get("/ui").text
        assert "toy-1" in html
        assert "0.31" in html
        assert "id: not an integer" in html
        assert re.search(r"<span>users</span><b>8</b>", html)

    def test_activating_a_model_switches_the_active_one(
        self, ui: TestClient, session: Session
    ) -> None:
        response = ui.post("/ui/models/toy-2/activate")
        assert response.status_code == 200
        assert "Activated toy-2" in response.text
        assert model_versions.get_active(session).version == "toy-2"

    def test_activating_an_unknown_model_is_a_404(self, ui: TestClient) -> None:
        assert ui.post("/ui/models/nope/activate").status_code == 404

    def test_events_page_lists_posted_events_under_their_source(self, ui: TestClient) -> None:
        event = {"id": "ui-ev-1", "username": "fan1", "post_id": 1001, "kind": "like"}
        ui.post("/events", json={"events": [event]})
        html = ui.get("/ui/events").text
        api_part = html.split('data-source="api"')[1]
        assert "ui-ev-1" in api_part

    def test_the_vendored_script_is_served(self, ui: TestClient) -> None:
        html = ui.get("/ui/models").text
        src = re.search(r'<script src="([^"]+)"', html)[1]
        assert ui.get(src).status_code == 200
        assert "htmx" in ui.get(src).text[:200]


class TestOfflineDocs:
    def test_docs_load_every_asset_from_the_app(self, ui: TestClient) -> None:
        html = ui.get("/docs").text
        assets = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert assets
        assert not [a for a in assets if a.startswith(("http:", "https:", "//"))]
        assert all(ui.get(a).status_code == 200 for a in assets)


def test_plots_are_served_only_from_the_listed_folders(tmp_path: Path) -> None:
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "2026-11-24-evaluation-x.png").write_bytes(b"png")
    dirs = (tmp_path / "reports",)
    assert [p.name for p in dashboard.list_plots(dirs)] == ["2026-11-24-evaluation-x.png"]
    assert dashboard.find_plot(str(dirs[0]), "2026-11-24-evaluation-x.png", dirs) is not None
    assert dashboard.find_plot(str(dirs[0]), "../secret.png", dirs) is None
    assert dashboard.find_plot("/etc", "passwd", dirs) is None
