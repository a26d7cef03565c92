"""The feed explorer: the real feed, page by page, and the same request under another model.

`live_page` runs exactly what `GET /feed` runs (same service, session store and cursor), so the
explorer shows the same posts in the same order. `pinned_page` ranks with the current
catalogue and log but a chosen model version, for a side-by-side comparison; its sessions live
in this process's memory only, so they never mix with the real feed's sessions.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import Any

from fastapi import FastAPI
from sqlalchemy.orm import Session

from videorec.api.post_cache import PresentedPosts
from videorec.errors import InvalidInput, NotFound
from videorec.serving.context import FeedRequest
from videorec.serving.feed import FeedPage, FeedService
from videorec.serving.registry import PipelineRegistry, PipelineState
from videorec.serving.scorer import FeedModel
from videorec.serving.sessions import SessionStore, Snapshot, shared_store
from videorec.storage.repositories import model_versions

USERNAME = re.compile(r"^[A-Za-z0-9_.@\-]{1,64}$")
CODE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
MOOD = re.compile(r"^[\w \-,'&]{1,64}$")
LOADED_MODELS = 3
"""Model versions other than the active one kept loaded for comparisons."""


@dataclass(frozen=True)
class Card:
    """One post as the explorer shows it."""

    id: int
    title: str
    creator: str
    category: str
    thumbnail_url: str
    score: float
    reason: str


@dataclass(frozen=True)
class ExplorerPage:
    page: FeedPage
    cards: list[Card]


def parse_request(
    username: str,
    category: str,
    project_code: str,
    mood: str,
    page_size: str,
    cursor: str,
    default_size: int,
    max_size: int,
) -> FeedRequest:
    """The explorer form as a `FeedRequest`, under `GET /feed`'s input rules.

    Raises:
        InvalidInput: a field breaks a rule (the message names it).
    """
    username, mood, project_code = username.strip(), mood.strip(), project_code.strip()
    if not USERNAME.match(username):
        raise InvalidInput("username: 1-64 letters, digits or _ . @ -")
    if category and not category.isdigit():
        raise InvalidInput("category_id: an integer")
    if project_code and not CODE.match(project_code):
        raise InvalidInput("project_code: 1-64 letters, digits or _ . -")
    if category and project_code:
        raise InvalidInput("give either a category or a project, not both")
    if mood and not MOOD.match(mood):
        raise InvalidInput("mood: at most 64 letters, digits, spaces or - , ' &")
    size = int(page_size) if page_size.isdigit() else default_size
    if not 1 <= size <= max_size:
        raise InvalidInput(f"page_size: 1-{max_size}")
    return FeedRequest(username, int(category) if category else None, project_code or None,
                       mood or None, size, cursor or None)  # fmt: skip


def live_page(
    db: Session, service: FeedService, store: SessionStore, presented: PresentedPosts,
    request: FeedRequest,
) -> ExplorerPage:  # fmt: skip
    """A page of the real feed, exactly as `GET /feed` serves it."""
    page = service.page(db, store, request)
    rows = presented.get_many(db, page.post_ids, service.registry.state(db))
    return ExplorerPage(page, _cards(page, rows))


def pinned_page(db: Session, app: FastAPI, version: str, request: FeedRequest) -> ExplorerPage:
    """A page of the same feed ranked with model `version` (the catalogue and log are shared).

    Raises:
        NotFound: no such version, or its artifact cannot be loaded.
    """
    service: FeedService = app.state.feed
    state = service.registry.state(db)
    pinned = _pinned_state(db, app, service.registry, state, version)
    other = FeedService(_PinnedRegistry(service.registry, pinned), service.config, service.secret,
                        service.sources)  # fmt: skip
    page = other.page(db, _memory_store(app), request)
    rows = app.state.presented.get_many(db, page.post_ids, state)
    return ExplorerPage(page, _cards(page, rows))


def session_store(app: FastAPI, db: Session) -> SessionStore:
    """The store `GET /feed` uses: Redis when configured, else the database."""
    return shared_store(db, app.state.redis)


def _pinned_state(
    db: Session, app: FastAPI, registry: PipelineRegistry, state: PipelineState, version: str
) -> PipelineState:
    if version == state.model_version:
        return state
    row = next((m for m in model_versions.list_all(db) if m.version == version), None)
    if row is None:
        raise NotFound(f"model version {version!r} is not registered", code="unknown_model")
    cache: OrderedDict[str, FeedModel] = app.state.ui_models
    model = cache.get(version)
    if model is None:
        try:
            model = registry.model_loader(row.path)
        except Exception as exc:  # a missing or broken artifact
            raise NotFound(f"model version {version!r} cannot be loaded: {exc}") from exc
        cache[version] = model
        while len(cache) > LOADED_MODELS:
            cache.popitem(last=False)
    return replace(state, model=model, model_version=version)


def _cards(page: FeedPage, rows: dict[int, Any]) -> list[Card]:
    cards = []
    for post_id, score, reason in zip(page.post_ids, page.scores, page.reasons, strict=True):
        post = rows.get(post_id)
        if post is None:
            continue
        owner = post.get("owner") or {}
        category = post.get("category") or {}
        cards.append(Card(
            id=post_id, title=post.get("title") or "(untitled)",
            creator=owner.get("username") or "", category=category.get("name") or "",
            thumbnail_url=post.get("thumbnail_url") or "", score=score, reason=reason,
        ))  # fmt: skip
    return cards


class _PinnedRegistry(PipelineRegistry):
    """A registry that always answers one fixed state (for a comparison)."""

    def __init__(self, base: PipelineRegistry, state: PipelineState) -> None:
        super().__init__(base.config, base.encoder, model_loader=base.model_loader)
        self._state = state
        self.mood_vector = base.mood_vector

    def state(self, db: Session) -> PipelineState:
        assert self._state is not None
        return self._state


class MemorySessionStore:
    """Comparison sessions in this process's memory (bounded; the oldest are dropped)."""

    def __init__(self, maxsize: int = 256) -> None:
        self.maxsize = maxsize
        self._items: OrderedDict[str, tuple[int, str, Snapshot]] = OrderedDict()
        self._lock = threading.Lock()

    def create(self, session_id: str, key: str, data: Snapshot, ttl_s: int) -> None:
        with self._lock:
            self._items[session_id] = (1, key, data)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)

    def load(self, session_id: str) -> tuple[int, Snapshot] | None:
        with self._lock:
            item = self._items.get(session_id)
        return None if item is None else (item[0], item[2])

    def compare_and_set(self, session_id: str, version: int, data: Snapshot) -> bool:
        with self._lock:
            item = self._items.get(session_id)
            if item is None or item[0] != version:
                return False
            self._items[session_id] = (version + 1, item[1], data)
            return True

    def latest(self, key: str) -> str | None:
        with self._lock:
            found = [sid for sid, item in self._items.items() if item[1] == key]
        return found[-1] if found else None


def _memory_store(app: FastAPI) -> MemorySessionStore:
    store: MemorySessionStore = app.state.ui_sessions
    return store
