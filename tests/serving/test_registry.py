"""The pipeline registry warms the feed state up in the background at start-up."""

from __future__ import annotations

import gc
import threading
import time

import numpy as np
import pytest
from fastapi.testclient import TestClient

from tests.serving import world
from videorec.api.app import create_app
from videorec.features.text import EmbeddingCache
from videorec.kit.db import make_engine, make_sessionmaker
from videorec.serving.config import load_feed_config
from videorec.serving.registry import WARM_MOOD, PipelineRegistry
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


def _wait_ready(registry: PipelineRegistry, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while registry.status != "ready" and time.monotonic() < deadline:
        time.sleep(0.05)


def _wait_text_model(registry: PipelineRegistry, seconds: float = 180) -> None:
    """Until the warm-up thread is done (it loads the text model last)."""
    deadline = time.monotonic() + seconds
    while registry.text_model_status not in ("ready", "failed") and time.monotonic() < deadline:
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

    def test_warm_up_says_ready_then_loads_the_mood_encoder(self, tmp_path) -> None:
        moods: list[str] = []
        loaded = threading.Event()

        def slow_mood_encoder(texts: list[str]):  # type: ignore[no-untyped-def]
            loaded.wait(30)  # the text model loading
            moods.extend(texts)
            return EmbeddingCache().encode(texts)

        engine = make_engine(_world_database(tmp_path))
        registry = PipelineRegistry(load_feed_config(), EmbeddingCache().encode,
                                    sessionmaker=make_sessionmaker(engine),
                                    mood_encoder=slow_mood_encoder)  # fmt: skip
        registry.warm_up()
        _wait_ready(registry)
        assert registry.status == "ready"  # the feed answers while the text model loads
        assert registry.text_model_status == "loading"
        loaded.set()
        for _ in range(3000):
            if registry.text_model_status == "ready":
                break
            time.sleep(0.01)
        assert registry.text_model_status == "ready"
        assert moods == [WARM_MOOD]
        engine.dispose()

    @pytest.mark.usefixtures("settled_heap")
    def test_a_serving_registry_freezes_the_heap_after_warm_up(self, tmp_path) -> None:
        engine = make_engine(_world_database(tmp_path))
        frozen = {}
        for freeze in (False, True):
            gc.unfreeze()
            registry = PipelineRegistry(load_feed_config(), EmbeddingCache().encode,
                                        sessionmaker=make_sessionmaker(engine),
                                        freeze_heap=freeze)  # fmt: skip
            registry.warm_up()
            _wait_text_model(registry)
            assert registry._state is not None
            frozen[freeze] = gc.get_freeze_count()
            walked = {id(o) for o in gc.get_objects()}
            assert (id(registry._state) not in walked) is freeze
        engine.dispose()
        assert frozen[False] == 0
        assert frozen[True] > 0

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

    def test_ready_is_503_building_until_the_feed_can_answer(self, tmp_path) -> None:
        release = threading.Event()

        class SlowRegistry(PipelineRegistry):
            def build(self, db):  # type: ignore[no-untyped-def]
                release.wait(30)
                return super().build(db)

        url = _world_database(tmp_path)
        engine = make_engine(url)
        registry = SlowRegistry(load_feed_config(), EmbeddingCache().encode,
                                sessionmaker=make_sessionmaker(engine))  # fmt: skip
        settings = Settings(database_url=url, var_dir=tmp_path)
        with TestClient(create_app(settings, engine=engine, registry=registry)) as client:
            building = client.get("/ready")
            health = client.get("/health")
            release.set()
            _wait_ready(registry)
            ready = client.get("/ready")
        engine.dispose()
        assert building.status_code == 503
        assert building.json()["checks"]["feed"] == "building"
        assert building.json()["code"] == "not_ready"
        assert health.status_code == 200
        assert ready.status_code == 200
        assert ready.json()["checks"]["feed"] == "ready"


class TestMoodVectors:
    def test_mood_vectors_are_an_lru_of_bounded_size(self) -> None:
        encoded: list[str] = []

        def mood_encoder(texts: list[str]) -> np.ndarray:
            encoded.extend(texts)
            return np.ones((len(texts), 4), dtype=np.float32)

        registry = PipelineRegistry(load_feed_config(), EmbeddingCache().encode,
                                    mood_encoder=mood_encoder, mood_cache=3)  # fmt: skip
        for mood in ["a", "b", "c", "a", "d", "e", "f"]:
            registry.mood_vector(mood)
        assert registry.mood_vector.cache_info().currsize == 3
        assert encoded == ["a", "b", "c", "d", "e", "f"]  # "a" was a hit while still cached
        registry.mood_vector("a")  # evicted since: encoded again
        assert encoded[-1] == "a"


class TestSnapshots:
    def test_a_restart_loads_the_snapshot_and_serves_from_it(self, tmp_path) -> None:
        url = _world_database(tmp_path)
        engine = make_engine(url)
        cache = EmbeddingCache()
        first = PipelineRegistry(load_feed_config(), cache.encode, snapshot_dir=tmp_path / "s")
        with make_sessionmaker(engine)() as db:
            built = first.build(db)
        calls: list[int] = []

        def counting(texts: list[str]) -> np.ndarray:
            calls.append(len(texts))
            return cache.encode(texts)

        again = PipelineRegistry(load_feed_config(), counting, snapshot_dir=tmp_path / "s")
        with make_sessionmaker(engine)() as db:
            loaded = again.build(db)
        assert calls == []  # nothing re-encoded: the catalogue came from the snapshot
        assert np.array_equal(loaded.index.post_ids, built.index.post_ids)
        assert np.allclose(loaded.index.text_vecs, built.index.text_vecs)
        assert loaded.index.mood_labels == built.index.mood_labels
        assert np.array_equal(loaded.stats.trend_order, built.stats.trend_order)
        assert (loaded.stats.covisit != built.stats.covisit).nnz == 0
        settings = Settings(database_url=url, var_dir=tmp_path)
        with TestClient(create_app(settings, engine=engine, registry=again)) as client:
            pages = [client.get("/feed", params={"username": u}) for u in ("fan0", "nobody")]
        engine.dispose()
        assert [p.status_code for p in pages] == [200, 200]
        assert len(pages[0].json()["post"]) == 20

    def test_new_events_make_a_new_snapshot(self, tmp_path) -> None:
        from datetime import datetime

        from tests.factories import create_interaction

        url = _world_database(tmp_path)
        engine = make_engine(url)
        registry = PipelineRegistry(load_feed_config(), EmbeddingCache().encode,
                                    snapshot_dir=tmp_path / "s")  # fmt: skip
        with make_sessionmaker(engine)() as db:
            before = registry.build(db)
            post = int(before.index.post_ids[0])
            create_interaction(db, user_id=50_001, post_id=post, kind="like",
                               occurred_at=datetime(2025, 6, 1))  # fmt: skip
            db.commit()
            after = registry.build(db)
        engine.dispose()
        assert len(list((tmp_path / "s").iterdir())) == 2
        assert after.watermark[0] > before.watermark[0]
        assert not np.array_equal(after.stats.trend, before.stats.trend)


def _withdraw_upstream(db, post_id: int) -> None:  # type: ignore[no-untyped-def]
    """Store the post as a sync does when upstream edits it: same id (so the same post count),
    a new title and no longer available in the public feed."""
    from videorec.ingestion.records import prepare_page, store_prepared
    from videorec.ingestion.resources import POSTS

    item = {"id": post_id, "title": "withdrawn", "category": {"id": 2, "name": "Vible"},
            "username": "creator0", "created_at": "2025-03-02 10:00:00",
            "is_available_in_public_feed": False}  # fmt: skip
    page = prepare_page(POSTS, [item])
    assert not page.failures
    store_prepared(db, page)
    db.commit()


def _feed_ids(client: TestClient) -> list[int]:
    return [p["id"] for p in client.get("/feed", params={"username": "fan0"}).json()["post"]]


class TestPostEdits:
    """An upstream edit of a stored post keeps the post count and the event ids: the feed
    state must still see it, from a restart (snapshot key) and from a refresh (watermark)."""

    def test_a_restart_after_an_edit_does_not_load_the_stale_snapshot(self, tmp_path) -> None:
        engine = make_engine(_world_database(tmp_path))
        config = load_feed_config()
        first = PipelineRegistry(config, EmbeddingCache().encode, snapshot_dir=tmp_path / "s")
        with make_sessionmaker(engine)() as db:
            before = first.build(db)
            post = int(before.index.post_ids[before.index.public][0])
            _withdraw_upstream(db, post)
        restarted = PipelineRegistry(config, EmbeddingCache().encode, snapshot_dir=tmp_path / "s")
        with make_sessionmaker(engine)() as db:
            after = restarted.build(db)
        engine.dispose()
        row = int(after.index.rows_of(np.asarray([post]))[0])
        assert not after.index.public[row]

    def test_a_withdrawn_post_leaves_the_feed_after_a_restart(self, tmp_path) -> None:
        url = _world_database(tmp_path)
        settings = Settings(database_url=url, var_dir=tmp_path)
        with TestClient(create_app(settings)) as client:
            _wait_ready(client.app.state.feed.registry)  # type: ignore[attr-defined]
            shown = _feed_ids(client)
        engine = make_engine(url)
        with make_sessionmaker(engine)() as db:
            _withdraw_upstream(db, shown[0])
        engine.dispose()
        with TestClient(create_app(settings)) as client:  # the restart
            _wait_ready(client.app.state.feed.registry)  # type: ignore[attr-defined]
            again = _feed_ids(client)
        assert shown[0] not in again
        assert len(again) == 20

    def test_a_refresh_after_an_edit_rebuilds_the_state(self, tmp_path) -> None:
        engine = make_engine(_world_database(tmp_path))
        config = load_feed_config().model_copy(update={"refresh_s": 0.0})
        registry = PipelineRegistry(config, EmbeddingCache().encode)  # refreshes inline
        with make_sessionmaker(engine)() as db:
            before = registry.state(db)
            post = int(before.index.post_ids[before.index.public][0])
            _withdraw_upstream(db, post)
            after = registry.state(db)
        engine.dispose()
        assert after is not before
        row = int(after.index.rows_of(np.asarray([post]))[0])
        assert not after.index.public[row]

    def test_an_open_session_stops_showing_a_post_withdrawn_since(self, tmp_path) -> None:
        from videorec.serving.context import FeedRequest
        from videorec.serving.feed import FeedService
        from videorec.serving.sessions import SqlSessionStore

        engine = make_engine(_world_database(tmp_path))
        config = load_feed_config().model_copy(update={"refresh_s": 0.0})
        registry = PipelineRegistry(config, EmbeddingCache().encode)  # refreshes inline
        service = FeedService(registry, config, b"secret")
        with make_sessionmaker(engine)() as db:
            store = SqlSessionStore(db)
            first = service.page(db, store, FeedRequest("fan0", page_size=5))
            loaded = store.load(str(first.session_id))
            assert loaded is not None
            pool = loaded[1]["ids"]
            stored = {pool[p] for page in loaded[1]["pages"] for p in page}  # pages 1-3
            withdrawn = next(i for i in pool if i not in stored)  # in a page to come
            _withdraw_upstream(db, withdrawn)
            shown, cursor = [], first.next_cursor
            while cursor is not None:  # every later page of the session, to the pool's end
                page = service.page(db, store, FeedRequest("fan0", page_size=5, cursor=cursor))
                shown += page.post_ids
                cursor = page.next_cursor
        engine.dispose()
        assert withdrawn not in shown
        assert len(shown) == len(pool) - len(first.post_ids) - 1


class TestModelLoading:
    def test_the_feed_searches_an_hnsw_index_with_ef_search_512(self, tmp_path) -> None:
        from tests.training.conftest import tiny_config
        from videorec.serving.registry import ANN_EF_SEARCH, load_artifact_model
        from videorec.training import fit, save_artifact
        from videorec.training.synthetic import synthetic_data

        log, catalog = synthetic_data(users=40, posts=60, interactions=800, seed=3)
        config = tiny_config(epochs=1)
        config.ranker.enabled = False
        config.index.hnsw_above = 10  # 60 posts: an HNSW index, as above 50k by default
        folder = save_artifact(fit(log, catalog, config), tmp_path, version="v1")
        model = load_artifact_model(str(folder))
        assert model.index.hnsw.efSearch == ANN_EF_SEARCH == 512  # type: ignore[attr-defined]


class TestRefreshOffTheRequestPath:
    def test_a_due_check_reads_nothing_on_the_requests_session_then_refreshes(
        self, tmp_path
    ) -> None:
        """With its own sessionmaker the registry checks the watermark (a scan of the posts)
        in a background thread: the request that finds the check due returns at once."""
        from datetime import datetime

        from tests.factories import create_interaction

        engine = make_engine(_world_database(tmp_path))
        config = load_feed_config().model_copy(update={"refresh_s": 0.0})
        registry = PipelineRegistry(config, EmbeddingCache().encode,
                                    sessionmaker=make_sessionmaker(engine))  # fmt: skip
        registry.warm_up()
        _wait_text_model(registry)
        before = registry.current
        assert before is not None

        class Untouchable:
            def __getattr__(self, name: str) -> object:
                raise AssertionError(f"the request's session was used: {name}")

        assert registry.state(Untouchable()) is before  # type: ignore[arg-type]
        with make_sessionmaker(engine)() as db:
            create_interaction(db, user_id=50_001, post_id=int(before.index.post_ids[0]),
                               kind="like", occurred_at=datetime(2025, 6, 1))  # fmt: skip
            db.commit()
        deadline = time.monotonic() + 60
        while registry.current is before and time.monotonic() < deadline:
            registry.state(Untouchable())  # type: ignore[arg-type]
            time.sleep(0.05)
        engine.dispose()
        after = registry.current
        assert after is not None
        assert after is not before
        assert after.watermark[0] > before.watermark[0]
