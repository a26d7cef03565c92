"""The served evaluation serves exactly what `/feed` serves.

One PostgreSQL world with an active model whose artifact folder holds neighbour lists and
learned weights. `FeedService` serves pages 1-3 from the database (the registry loads the side
files); the evaluation's `serve_session` serves the same user from the same catalogue, log, model
and side files without a database. Their pages must be the same posts, in the same order, with
the same scores: if either path ranks, weighs or pages differently, this fails.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import PostgresFactory, fresh_database_url
from tests.serving import world
from tests.serving.toy_model import ToyModel
from videorec.evaluation.served import PAGES, serve_session
from videorec.features.text import EmbeddingCache
from videorec.kit.db import make_engine, make_sessionmaker
from videorec.serving.candidates import default_sources
from videorec.serving.config import load_feed_config
from videorec.serving.context import FeedRequest
from videorec.serving.extras import ServingExtras, save_extras
from videorec.serving.feed import FeedService
from videorec.serving.registry import PipelineRegistry
from videorec.serving.sessions import SqlSessionStore
from videorec.serving.state import build_state
from videorec.storage import migrate
from videorec.storage.repositories import logs
from videorec.storage.tables import ModelVersion, User
from videorec.training.split import split_by_user

WEIGHTS = {"ease": 2.0, "item_knn": 0.35, "model": 0.75, "covisit": 0.5, "content": 0.2,
           "trending": 0.1, "popularity": 0.3, "cold.item_knn": 1.5}  # fmt: skip


def _lists(post_ids: np.ndarray, seed: int) -> dict[str, sp.csr_matrix]:
    """Random sparse neighbour lists (EASE's with negative weights too) over the catalogue."""
    rng = np.random.default_rng(seed)
    n = post_ids.size
    ease = sp.random(n, n, density=0.2, random_state=rng, dtype=np.float32)
    ease.data -= 0.3
    knn = sp.random(n, n, density=0.1, random_state=rng, dtype=np.float32)
    return {"ease": sp.csr_matrix(ease), "item_knn": sp.csr_matrix(knn)}


@pytest.fixture(scope="module")
def served_world(tmp_path_factory, postgres_factory: PostgresFactory):
    """The database (sessionmaker), the artifact's side files, and the toy model."""
    url = fresh_database_url("postgresql", tmp_path_factory.mktemp("pg"), postgres_factory)
    engine = make_engine(url)
    migrate.upgrade(engine)
    makers = make_sessionmaker(engine)
    folder: Path = tmp_path_factory.mktemp("artifact")
    with makers.begin() as db:
        world.populate(db)
        post_ids = logs.load_catalog(db).post_ids
        db.add(ModelVersion(version="toy-1", path=str(folder), is_active=True))
    extras = ServingExtras(np.sort(post_ids), _lists(np.sort(post_ids), seed=5), WEIGHTS)
    save_extras(folder, extras)
    yield makers, extras, ToyModel(post_ids)
    engine.dispose()


@pytest.mark.parametrize("username", ["fan0", "fan3", "fan5"])
def test_evaluation_pages_are_the_feeds_pages(served_world, username: str) -> None:
    makers, extras, model = served_world
    config = load_feed_config()
    cache = EmbeddingCache()
    registry = PipelineRegistry(config, cache.encode, model_loader=lambda _: model)
    service = FeedService(registry, config, b"test-secret")
    db: Session
    with makers() as db:
        feed_pages, cursor = [], None
        for _ in range(PAGES):
            request = FeedRequest(username, page_size=config.default_page_size, cursor=cursor)
            page = service.page(db, SqlSessionStore(db), request)
            feed_pages.append((page.post_ids, page.scores))
            cursor = page.next_cursor
        db.rollback()
        catalog, log = logs.load_catalog(db), logs.load_interactions(db)
        user_id = int(db.scalar(select(User.id).where(User.username == username)))
    assert registry.state(db).weights == WEIGHTS  # the feed did load the artifact's weights
    state = build_state(catalog, log, cache.encode, config, model=model, extras=extras)
    session = serve_session(state, config, default_sources(), user_id,
                            split_by_user(log)[user_id])  # fmt: skip
    size = config.default_page_size
    for k, (ids, scores) in enumerate(feed_pages):
        positions = session.shown[k * size : (k + 1) * size]
        assert ids == state.index.post_ids[session.rows[positions]].tolist()
        np.testing.assert_allclose(scores, session.scores[positions], atol=1e-6)
