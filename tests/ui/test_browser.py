"""The dashboard and `/docs` in a real browser: Debian's Chromium driven by Playwright.

A live server (uvicorn in a thread) serves the seeded world from a SQLite file. Every test
records the browser's console errors and every URL it requests: none may leave 127.0.0.1.
Screenshots go to a temporary folder, or to $VIDEOREC_UI_SHOTS (bench/results/ui/ for the
README's). Playwright never downloads a browser here: it launches
/usr/bin/chromium (`apt-get install chromium`; VIDEOREC_CHROMIUM names another binary);
without it the whole module is skipped with one line.
"""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import numpy as np
import pytest
import uvicorn
from sqlalchemy.orm import Session

from tests.api.helpers import add_key
from tests.serving import world
from tests.serving.toy_model import ToyModel
from videorec.api.app import create_app
from videorec.features.text import EmbeddingCache
from videorec.kit.db import make_engine
from videorec.serving.config import load_feed_config
from videorec.serving.registry import PipelineRegistry
from videorec.settings import Settings
from videorec.storage import migrate
from videorec.storage.repositories.quarantine import quarantine
from videorec.storage.tables import ModelVersion

CHROMIUM = Path(os.environ.get("VIDEOREC_CHROMIUM", "/usr/bin/chromium"))
# Screenshots go to a temporary folder, so a test run leaves the tracked ones in bench/results/ui
# alone; VIDEOREC_UI_SHOTS=bench/results/ui refreshes those.
SHOTS = Path(os.environ.get("VIDEOREC_UI_SHOTS") or Path(tempfile.gettempdir()) / "videorec-ui")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
if not CHROMIUM.exists():
    pytest.skip(f"browser tests skipped: no Chromium at {CHROMIUM}", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A live server over a seeded SQLite file with two toy models (`toy-1` active)."""
    tmp = tmp_path_factory.mktemp("ui")
    engine = make_engine(f"sqlite:///{tmp / 'ui.db'}")
    migrate.upgrade(engine)
    with Session(engine) as session:
        world.populate(session)
        session.add_all([
            ModelVersion(version="toy-1", path="seed-3", is_active=True, metrics={"ndcg@10": 0.31}),
            ModelVersion(version="toy-2", path="seed-9", metrics={"ndcg@10": 0.2}),
        ])  # fmt: skip
        quarantine(session, "posts", [({"id": "p-1", "title": None}, "id: not a valid integer")])
        session.commit()
    ids = np.arange(1000, 1120)
    registry = PipelineRegistry(load_feed_config(), EmbeddingCache().encode,
                                model_loader=lambda p: ToyModel(ids, seed=int(p[5:])))  # fmt: skip
    settings = Settings(database_url=f"sqlite:///{tmp / 'ui.db'}", var_dir=tmp / "var")
    app = create_app(settings, engine=engine, registry=registry)
    port = _free_port()
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while not uv.started and time.monotonic() < deadline:
        time.sleep(0.1)
    httpx.get(f"{base}/feed", params={"username": "fan0"}, timeout=600)  # builds the feed state
    events = [{"id": f"shot-{i}", "username": "fan5", "post_id": 1010 + i, "kind": "view"}
              for i in range(3)]  # fmt: skip
    assert httpx.post(f"{base}/events", json={"events": events}).status_code == 200
    yield base
    uv.should_exit = True
    thread.join(timeout=30)
    engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        yield browser
        browser.close()


class Watched:
    """A page plus what it did: console errors, uncaught exceptions, every URL requested."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        self.urls: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", lambda r: self.urls.append(r.url))

    def check(self) -> None:
        outside = [u for u in self.urls if urlsplit(u).hostname not in ("127.0.0.1", None)]
        assert self.errors == []
        assert outside == []
        assert self.urls

    def shot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def watched(browser: Any) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield Watched(page)
    context.close()


def _card_ids(page: Any, scope: str = "") -> list[int]:
    return [int(i) for i in page.eval_on_selector_all(
        f"{scope} .card", "cards => cards.map(c => c.dataset.postId)")]  # fmt: skip


@pytest.mark.parametrize(
    ("path", "ready", "name"),
    [("/ui", "#active-model", "overview"), ("/ui/explorer", "form#explorer", "explorer-empty"),
     ("/ui/models", "table.models", "models"), ("/ui/events", "h1", "events"),
     ("/docs", ".swagger-ui .info .title", "docs")],
)  # fmt: skip
def test_each_page_renders_offline_without_console_errors(
    server: str, watched: Watched, path: str, ready: str, name: str
) -> None:
    response = watched.page.goto(server + path)
    watched.page.wait_for_selector(ready)
    watched.page.wait_for_load_state("networkidle")
    assert response.status == 200
    watched.shot(name)
    watched.check()


def test_explorer_matches_get_feed_pages_through_the_cursor_and_switches_mood(
    server: str, watched: Watched
) -> None:
    page = watched.page
    page.goto(f"{server}/ui/explorer")
    page.fill("input[name=username]", "fan1")
    page.click("button[type=submit]")
    page.wait_for_selector(".feed-page[data-page='1'] .card")
    first = _card_ids(page)
    assert first == [
        p["id"] for p in httpx.get(f"{server}/feed", params={"username": "fan1"}).json()["post"]
    ]

    for number in (2, 3):
        page.click("button.next")
        page.wait_for_selector(f".feed-page[data-page='{number}'] .card")
    three_pages = _card_ids(page)
    assert len(three_pages) == len(set(three_pages)) == 60
    watched.shot("explorer-three-pages")

    page.fill("input[name=mood]", "calm")
    page.click("button[type=submit]")
    page.wait_for_selector(".feed-page[data-page='1'] .card")
    page.wait_for_function("() => document.querySelectorAll('.feed-page').length === 1")
    calm = _card_ids(page)
    expected = httpx.get(f"{server}/feed", params={"username": "fan1", "mood": "calm"}).json()
    assert calm == [p["id"] for p in expected["post"]]
    assert calm != first
    watched.shot("explorer-mood-calm")
    watched.check()


def test_explorer_compares_two_model_versions(server: str, watched: Watched) -> None:
    page = watched.page
    page.goto(f"{server}/ui/explorer")
    page.fill("input[name=username]", "fan2")
    page.select_option("select[name=model_b]", "toy-2")
    page.click("button[type=submit]")
    page.wait_for_selector(".column[data-version='toy-2'] .card")
    assert _card_ids(page, ".column[data-version='live']") != _card_ids(
        page, ".column[data-version='toy-2']"
    )
    watched.shot("explorer-compare")
    watched.check()


def test_a_model_is_activated_after_confirmation(server: str, watched: Watched) -> None:
    page = watched.page
    dialogs: list[str] = []

    def accept(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    page.goto(f"{server}/ui/models")
    page.click("tr[data-version='toy-2'] button")
    page.wait_for_selector("p.notice")
    assert "Activated toy-2" in page.inner_text("p.notice")
    assert "toy-2" in dialogs[0]
    assert page.inner_text("tr[data-version='toy-2'] td:nth-child(3)") == "active"
    watched.shot("models-activated")
    watched.check()


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A live server with API keys on (an empty database and one admin key): base URL, key."""
    tmp = tmp_path_factory.mktemp("ui-auth")
    engine = make_engine(f"sqlite:///{tmp / 'auth.db'}")
    migrate.upgrade(engine)
    admin = add_key(engine, "ops", ["admin"])
    settings = Settings(database_url=f"sqlite:///{tmp / 'auth.db'}", var_dir=tmp / "var",
                        auth_required=True)  # fmt: skip
    uv = uvicorn.Server(uvicorn.Config(create_app(settings, engine=engine), host="127.0.0.1",
                                       port=_free_port(), log_level="warning"))  # fmt: skip
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not uv.started and time.monotonic() < deadline:
        time.sleep(0.1)
    yield f"http://127.0.0.1:{uv.config.port}", admin
    uv.should_exit = True
    thread.join(timeout=30)
    engine.dispose()


def test_an_operator_signs_in_with_an_admin_key_and_out_again(
    guarded: tuple[str, str], watched: Watched
) -> None:
    base, admin = guarded
    page = watched.page
    page.goto(f"{base}/ui/models")
    page.wait_for_selector("form#login")
    assert page.url == f"{base}/ui/login?next=/ui/models"

    page.fill("input[name=key]", "vr_0123456789ab_not-a-real-key")
    page.click("form#login button")
    page.wait_for_selector("p.error")
    assert "unknown or revoked" in page.inner_text("p.error")
    watched.shot("login-wrong-key")

    page.fill("input[name=key]", admin)
    page.click("form#login button")
    page.wait_for_url(f"{base}/ui/models")
    assert page.is_visible("text=Sign out")
    watched.shot("login-signed-in")
    (cookie,) = page.context.cookies()
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["path"]) == (True, "Strict", "/ui")
    assert admin not in cookie["value"]
    assert page.evaluate("document.cookie") == ""  # HttpOnly: no script can read it

    page.click("text=Sign out")
    page.wait_for_selector("form#login")
    assert page.context.cookies() == []
    outside = [u for u in watched.urls if urlsplit(u).hostname != "127.0.0.1"]
    assert outside == []
    # the wrong key's 401 is the only console error Chromium reports
    assert all("401" in error for error in watched.errors)
