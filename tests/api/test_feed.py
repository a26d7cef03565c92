"""`GET /feed` end to end on the seeded world (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import create_interaction
from tests.serving import world
from tests.serving.toy_model import ToyModel
from videorec.api.app import create_app
from videorec.api.deps import get_session
from videorec.serving.config import load_feed_config
from videorec.serving.registry import PipelineRegistry
from videorec.storage.tables import ModelVersion, Post, Topic

CALM = {"calm", "peaceful", "relaxing"}


def _feed_client(engine, session, settings, cache, loader=None) -> TestClient:
    registry = PipelineRegistry(load_feed_config(), cache.encode, **(
        {"model_loader": loader} if loader else {}))  # fmt: skip
    app = create_app(settings, engine=engine, registry=registry)
    app.dependency_overrides[get_session] = lambda: session
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def populated(engine, session, settings, text_cache):
    world.populate(session)
    with _feed_client(engine, session, settings, text_cache) as client:
        yield client


def _ids(body: dict) -> list[int]:
    return [p["id"] for p in body["post"]]


class TestColdStart:
    def test_unknown_user_gets_a_cold_start_feed(self, populated) -> None:
        body = populated.get("/feed", params={"username": "nobody"}).json()
        assert body["status"] == "success"
        assert body["cold_start"] is True
        assert body["model_version"] is None
        assert len(body["post"]) == 20
        assert {"score", "reason", "owner", "category"} <= set(body["post"][0])

    def test_user_with_history_is_not_cold(self, populated) -> None:
        body = populated.get("/feed", params={"username": "fan0"}).json()
        assert body["cold_start"] is False
        assert any(p["reason"] == "similar to posts you liked" for p in body["post"])

    def test_mood_shifts_the_feed_toward_that_mood(self, populated) -> None:
        def calm_share(params: dict) -> float:
            posts = populated.get("/feed", params={"username": "newbie", **params}).json()["post"]
            rows = populated.app.state.feed.registry._state.index
            moods = [world_moods(rows, p["id"]) for p in posts]
            return sum(bool(m & CALM) for m in moods) / len(moods)

        without, with_mood = calm_share({}), calm_share({"mood": "calm"})
        assert with_mood >= 0.7
        assert with_mood - without >= 0.4

    def test_next_request_reflects_new_interactions(self, populated, session) -> None:
        first = _ids(populated.get("/feed", params={"username": "fan1"}).json())
        create_interaction(session, user_id=50_001, post_id=first[0], kind="like",
                           occurred_at=datetime(2025, 6, 1))  # fmt: skip
        again = _ids(populated.get("/feed", params={"username": "fan1"}).json())
        assert first[0] not in again


def world_moods(index, post_id: int) -> set[str]:
    row = int(index.rows_of(__import__("numpy").asarray([post_id]))[0])
    label = next((i for i in range(len(index.mood_labels))
                  if row in index.mood_groups.members(i)), None)  # fmt: skip
    return set(index.mood_labels[label].split()) if label is not None else set()


class TestPagination:
    def test_twenty_pages_never_repeat_a_post(self, populated) -> None:
        seen: list[int] = []
        params = {"username": "nobody", "page_size": 5}
        for _ in range(20):
            body = populated.get("/feed", params=params).json()
            assert len(body["post"]) == 5
            seen += _ids(body)
            params = {"username": "nobody", "cursor": body["next_cursor"]}
        assert len(seen) == len(set(seen)) == 100

    def test_the_same_cursor_returns_the_same_page(self, populated) -> None:
        first = populated.get("/feed", params={"username": "fan2", "page_size": 7}).json()
        params = {"username": "fan2", "cursor": first["next_cursor"]}
        one, two = (populated.get("/feed", params=params).json() for _ in range(2))
        assert _ids(one) == _ids(two)
        assert not set(_ids(one)) & set(_ids(first))
        assert one["page"] == 2

    def test_page_numbers_use_the_same_session(self, populated) -> None:
        pages = [
            _ids(populated.get("/feed", params={"username": "fan3", "page": k}).json())
            for k in (1, 2, 3)
        ]
        flat = [p for page in pages for p in page]
        assert len(flat) == len(set(flat)) == 60

    @pytest.mark.parametrize("cursor", ["garbage", "a.b", "eyJzIjoxfQ.AAAA"])
    def test_an_invalid_cursor_is_a_400(self, populated, cursor: str) -> None:
        response = populated.get("/feed", params={"username": "x", "cursor": cursor})
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_cursor"

    def test_a_tampered_cursor_is_a_400(self, populated) -> None:
        cursor = populated.get("/feed", params={"username": "x"}).json()["next_cursor"]
        body, sig = cursor.split(".")
        forged = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1] + "." + sig
        response = populated.get("/feed", params={"username": "x", "cursor": forged})
        assert response.status_code == 400

    def test_a_cursor_of_another_username_is_a_400(self, populated) -> None:
        """User B cannot read user A's session with A's cursor (nor A's held pages)."""
        first = populated.get("/feed", params={"username": "fan4", "page_size": 5}).json()
        second = populated.get("/feed", params={"username": "fan4",
                                                "cursor": first["next_cursor"]}).json()  # fmt: skip
        for cursor in (first["next_cursor"], second["next_cursor"]):  # computed, then held
            response = populated.get("/feed", params={"username": "fan6", "cursor": cursor})
            assert response.status_code == 400
            assert response.json()["code"] == "invalid_cursor"
            assert "another username" in response.json()["message"]
        mine = populated.get("/feed", params={"username": "fan4", "cursor": second["next_cursor"]})
        assert mine.status_code == 200

    @pytest.mark.parametrize("number", [100, 5_000_000])
    def test_a_forged_page_past_the_pool_is_empty_and_computes_nothing(
        self, populated, number: int
    ) -> None:
        from videorec.kit.cursor import decode_cursor, encode_cursor
        from videorec.serving.sessions import SqlSessionStore

        first = populated.get("/feed", params={"username": "fan5", "page_size": 20}).json()
        service = populated.app.state.feed
        session_id = decode_cursor(first["next_cursor"], secret=service.secret)["s"]
        forged = encode_cursor({"s": session_id, "p": number, "u": "fan5"}, secret=service.secret,
                               ttl_s=60)  # fmt: skip
        body = populated.get("/feed", params={"username": "fan5", "cursor": forged}).json()
        assert body["post"] == []
        assert body["next_cursor"] is None
        assert body["page"] == number
        session = populated.app.dependency_overrides[get_session]()
        stored = SqlSessionStore(session).load(session_id)
        assert stored is not None
        opened = 1 + service.config.pages_ahead  # a new session stores its first pages
        assert len(stored[1]["pages"]) == opened  # no page was computed for it, none stored

    def test_a_computed_page_also_stores_the_next_ones_and_they_are_served_from_memory(
        self, populated
    ) -> None:
        """Page 2 computes pages 3 and 4 (`pages_ahead`); page 3 then runs no page work."""
        service = populated.app.state.feed
        assert service.config.pages_ahead == 2
        first = populated.get("/feed", params={"username": "fan7", "page_size": 6}).json()
        second = populated.get("/feed", params={"username": "fan7",
                                                "cursor": first["next_cursor"]}).json()  # fmt: skip
        real_page = service.page
        service.page = None  # any page work would fail: the answer must come from memory
        try:
            third = populated.get("/feed", params={"username": "fan7",
                                                   "cursor": second["next_cursor"]})  # fmt: skip
            again = populated.get("/feed", params={"username": "fan7",
                                                   "cursor": second["next_cursor"]})  # fmt: skip
        finally:
            service.page = real_page
        assert third.status_code == 200
        one, two = third.json(), again.json()
        cursors = (one.pop("next_cursor"), two.pop("next_cursor"))  # expiries may differ by 1 s
        assert one == two
        secret = service.secret
        from videorec.kit.cursor import decode_cursor

        payloads = [decode_cursor(c, secret=secret) for c in cursors]
        assert [(p["s"], p["p"]) for p in payloads] == [(payloads[0]["s"], 4)] * 2
        assert one["page"] == 3
        seen = _ids(first) + _ids(second) + _ids(third.json())
        assert len(seen) == len(set(seen)) == 18

    def test_a_held_page_joined_from_cached_json_is_the_computed_page(self, populated) -> None:
        """A held page's body is joined from the posts' cached JSON (`encode_body`); read from
        the store in a process that holds nothing, the same page is computed and presented
        afresh, and both bodies agree."""
        from videorec.kit.cursor import decode_cursor
        from videorec.serving.sessions import RecentSessions

        first = populated.get("/feed", params={"username": "fan8", "page_size": 6}).json()
        second = populated.get("/feed", params={"username": "fan8",
                                                "cursor": first["next_cursor"]}).json()  # fmt: skip
        params = {"username": "fan8", "cursor": second["next_cursor"]}
        held = populated.get("/feed", params=params)
        populated.app.state.recent_sessions = RecentSessions()  # as another process would
        computed = populated.get("/feed", params=params)
        assert held.status_code == computed.status_code == 200
        assert held.headers["content-type"] == computed.headers["content-type"]
        one, two = held.json(), computed.json()
        cursors = (one.pop("next_cursor"), two.pop("next_cursor"))  # expiries may differ by 1 s
        assert one == two
        assert [set(post) for post in one["post"]] == [set(post) for post in two["post"]]
        secret = populated.app.state.feed.secret
        payloads = [decode_cursor(c, secret=secret) for c in cursors]
        assert [(p["s"], p["p"], p["u"]) for p in payloads] == [(payloads[0]["s"], 4, "fan8")] * 2
        assert len(one["post"]) == 6

    def test_a_huge_page_number_is_empty(self, populated) -> None:
        body = populated.get("/feed", params={"username": "fan5", "page": 10_000}).json()
        assert body["post"] == []
        assert body["next_cursor"] is None


class TestCategoryFilter:
    def test_only_that_category_and_a_full_page(self, populated) -> None:
        body = populated.get("/feed", params={"username": "fan0", "category_id": 3,
                                              "page_size": 15}).json()  # fmt: skip
        assert len(body["post"]) == 15
        assert {p["category"]["id"] for p in body["post"]} == {3}

    def test_a_category_without_posts_gives_an_empty_page(self, populated) -> None:
        response = populated.get("/feed", params={"username": "fan0", "category_id": 999})
        assert response.status_code == 200
        assert response.json()["post"] == []
        assert response.json()["next_cursor"] is None

    def test_project_code_keeps_only_that_projects_posts(self, populated, session) -> None:
        session.add(Topic(id=9, name="Flic", project_code="flic"))
        session.flush()
        chosen = set(range(1000, 1030))
        for post in session.scalars(select(Post).where(Post.id.in_(chosen))):
            post.topic_id = 9
        session.flush()
        session.expire_all()
        body = populated.get("/feed", params={"username": "fan0", "project_code": "flic"}).json()
        assert body["post"]
        assert set(_ids(body)) <= chosen
        assert {p["topic"]["project_code"] for p in body["post"]} == {"flic"}


BAD_INPUT = [
    {},
    {"username": ""},
    {"username": "a" * 65},
    {"username": "bad name!"},
    {"username": "u", "page_size": 0},
    {"username": "u", "page_size": 101},
    {"username": "u", "page_size": "abc"},
    {"username": "u", "category_id": "abc"},
    {"username": "u", "category_id": -1},
    {"username": "u", "category_id": 10**30},
    {"username": "u", "mood": "m" * 65},
    {"username": "u", "mood": "<script>"},
    {"username": "u", "page": 0},
    {"username": "u", "page": 2, "cursor": "x.y"},
    {"username": "u", "category_id": 2, "project_code": "flic"},
    {"username": "u", "cursor": "x" * 600},
]


class TestBadInput:
    @pytest.mark.parametrize("params", BAD_INPUT)
    def test_bad_input_is_a_4xx_in_the_error_shape(self, client, params: dict) -> None:
        response = client.get("/feed", params=params)
        assert 400 <= response.status_code < 500
        assert response.json()["status"] == "error"

    @pytest.mark.parametrize(
        ("query", "message"),
        [
            ("", "username: Field required"),
            ("username=u&page_size=abc", "page_size: Input should be a valid integer"),
            ("username=u&page=0&mood=", "mood: String should have at least 1 character; page:"),
        ],
    )
    def test_a_bad_query_is_a_422_naming_each_parameter(self, client, query, message) -> None:
        """The route validates its query as one model (`FeedQuery`), with FastAPI's 422 form."""
        response = client.get(f"/feed?{query}")
        assert response.status_code == 422
        assert response.json()["code"] == "invalid_request"
        assert message in response.json()["message"]

    def test_unknown_parameters_are_ignored_and_a_repeated_one_reads_its_last_value(
        self, client
    ) -> None:
        plain = client.get("/feed", params={"username": "nobody", "page_size": 3})
        odd = client.get("/feed?username=nobody&page_size=50&page_size=3&utm_source=x")
        assert odd.status_code == plain.status_code == 200
        assert odd.json()["page_size"] == plain.json()["page_size"] == 3


class TestModelPath:
    @pytest.fixture(autouse=True)
    def _cache(self, text_cache) -> None:
        self.cache = text_cache

    def _client(self, engine, session, settings, loader):
        return _feed_client(engine, session, settings, self.cache, loader)

    def _page(self, engine, session, settings, loader, username: str = "fan0") -> dict:
        with self._client(engine, session, settings, loader) as client:
            return client.get("/feed", params={"username": username}).json()

    def test_the_active_model_changes_the_order_and_is_named(self, engine, session,
                                                             settings) -> None:  # fmt: skip
        world.populate(session)
        without = self._page(engine, session, settings, None)
        assert without["model_version"] is None
        session.add(ModelVersion(version="toy-1", path="unused", is_active=True))
        session.flush()
        ids = np.arange(1000, 1120)
        public = {int(r["id"]) for r in world.post_rows(120, 7) if r["public"]}
        favourite = min(public - set(_ids(without)) - _engaged(session, 50_000))
        body = self._page(engine, session, settings, lambda _p: FavouriteModel(ids, favourite))
        assert body["model_version"] == "toy-1"
        assert len(body["post"]) == 20
        assert _ids(body) != _ids(without)
        assert favourite in _ids(body)  # the model's favourite, not on the page without it

    def test_a_real_artifact_loads_through_the_registrys_loader(self, engine, session, settings,
                                                                 tmp_path) -> None:  # fmt: skip
        """Train a small model on the same world, save it, register it: the default loader
        (`training.artifact.load_artifact`) serves it, and it changes the order."""
        from videorec.serving.registry import load_artifact_model
        from videorec.training import TrainConfig, fit, save_artifact

        rows = world.post_rows(120, 7)
        config = TrainConfig.model_validate({
            "seed": 7, "split": {"validation_fraction": 0.2},
            "features": {"history_length": 10, "use_text": False},
            "two_tower": {"dim": 8, "hidden": [16], "out_dim": 8, "batch_size": 32, "epochs": 2},
            "ranker": {"dim": 4, "hidden": [8], "batch_size": 32, "epochs": 1, "rerank_depth": 10},
        })  # fmt: skip
        model = fit(world.events(rows, 8, 12, 7), world.catalog(rows), config)
        folder = save_artifact(model, tmp_path / "models", version="real-1")
        world.populate(session)
        without = self._page(engine, session, settings, load_artifact_model)
        session.add(ModelVersion(version="real-1", path=str(folder), is_active=True))
        session.flush()
        body = self._page(engine, session, settings, load_artifact_model)
        assert without["model_version"] is None
        assert body["model_version"] == "real-1"
        assert len(body["post"]) == 20
        assert _ids(body) != _ids(without)

    def test_a_model_that_fails_to_load_means_no_model(self, engine, session, settings) -> None:
        world.populate(session)
        session.add(ModelVersion(version="broken", path="/nowhere", is_active=True))
        session.flush()

        def fail(path: str) -> ToyModel:
            raise FileNotFoundError(path)

        with self._client(engine, session, settings, fail) as client:
            body = client.get("/feed", params={"username": "fan0"}).json()
        assert body["model_version"] is None
        assert len(body["post"]) == 20


class FavouriteModel(ToyModel):
    """A toy model that puts one post above every other, for every user."""

    def __init__(self, post_ids, favourite: int) -> None:
        super().__init__(post_ids)
        self.favourite = favourite

    def retrieve(self, user_id, history, k):
        ids, sims = super().retrieve(user_id, history, k + 1)
        keep = ids != self.favourite
        top = np.concatenate([[self.favourite], ids[keep]])[:k]
        return top, np.concatenate([[sims.max() + 1], sims[keep]])[:k].astype(np.float32)

    def score(self, user_id, history, post_ids):
        scores = super().score(user_id, history, post_ids)
        return np.where(post_ids == self.favourite, scores.max() + 10, scores).astype(np.float32)


def _engaged(session, user_id: int) -> set[int]:
    from videorec.storage.tables import Interaction

    stmt = select(Interaction.post_id).where(Interaction.user_id == user_id)
    return set(session.scalars(stmt))


class TestEmptyAndDocs:
    def test_an_empty_catalogue_gives_an_empty_page(self, client) -> None:
        response = client.get("/feed", params={"username": "anyone"})
        assert response.status_code == 200
        assert response.json()["post"] == []
        assert response.json()["cold_start"] is True

    def test_openapi_documents_the_feed(self, client) -> None:
        spec = client.get("/openapi.json").json()
        get = spec["paths"]["/feed"]["get"]
        (query,) = get["parameters"]  # one exploded object: it can state which keys exclude
        assert (query["in"], query["style"], query["explode"]) == ("query", "form", True)
        schema = query["schema"]
        assert set(schema["properties"]) >= {"username", "cursor", "mood", "page"}
        assert schema["required"] == ["username"]
        assert schema["properties"]["page_size"] | {"description": ""} == {
            "type": "integer", "minimum": 1, "maximum": 100, "title": "Page Size",
            "description": "",
        }  # fmt: skip
        assert schema["properties"]["username"]["pattern"] == "^[A-Za-z0-9_.@\\-]+$"
        assert {"not": {"required": ["cursor", "page"]}} in schema["allOf"]
        assert {"not": {"required": ["category_id", "project_code"]}} in schema["allOf"]
        assert "FeedPage" in spec["components"]["schemas"]
        assert "reason" in spec["components"]["schemas"]["FeedPost"]["properties"]


class TestRedisSessions:
    def test_with_redis_url_sessions_live_in_redis(self, engine, session, tmp_path, text_cache,
                                                    redis_url: str) -> None:  # fmt: skip
        from redis import Redis

        from videorec.settings import Settings

        url = redis_url
        settings = Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}",
                            var_dir=tmp_path / "var", redis_url=url)  # fmt: skip
        world.populate(session)
        probe = Redis.from_url(url)
        try:
            with _feed_client(engine, session, settings, text_cache) as client:
                first = client.get("/feed", params={"username": "fan4", "page_size": 5}).json()
                params = {"username": "fan4", "cursor": first["next_cursor"]}
                second = client.get("/feed", params=params).json()
            assert list(probe.scan_iter("videorec:feed:s:*"))
            assert not set(_ids(first)) & set(_ids(second))
        finally:
            for key in probe.scan_iter("videorec:feed:*"):
                probe.delete(key)
            probe.close()


class TestEventLoop:
    def test_a_stuck_feed_page_does_not_hold_health(self, populated) -> None:
        """A page stuck on I/O (a locked database) runs in a worker thread, not on the loop."""
        import threading
        import time

        service = populated.app.state.feed
        entered, release = threading.Event(), threading.Event()
        real_page = service.page

        def stuck_page(*args, **kwargs):  # type: ignore[no-untyped-def]
            entered.set()
            release.wait(10)
            return real_page(*args, **kwargs)

        service.page = stuck_page
        feed = threading.Thread(target=populated.get, args=("/feed",),
                                kwargs={"params": {"username": "fan6"}})  # fmt: skip
        feed.start()
        try:
            assert entered.wait(30)
            started = time.perf_counter()
            health = populated.get("/health")
            elapsed = time.perf_counter() - started
            still_waiting = feed.is_alive()
        finally:
            release.set()
            feed.join(30)
            service.page = real_page
        assert health.status_code == 200
        assert still_waiting
        assert elapsed < 2.0


def test_a_page_body_leaves_out_posts_gone_from_the_database() -> None:
    """`encode_body` joins the posts' JSON with their score and reason, in page order, and
    leaves out a post it has no JSON for (deleted since the page was ranked)."""
    import orjson

    from videorec.api.routes.feed import encode_body
    from videorec.serving.feed import FeedPage

    page = FeedPage(post_ids=[3, 1, 2], scores=[0.5, 0.25, 0.125], reasons=["a", "b", "c"],
                    page=2, page_size=3, next_cursor="c3", cold_start=False,
                    model_version=None)  # fmt: skip
    posts = {i: orjson.dumps({"id": i, "title": f"t{i}"}) for i in (1, 3)}
    assert orjson.loads(encode_body(page, posts)) == {
        "status": "success",
        "post": [{"id": 3, "title": "t3", "score": 0.5, "reason": "a"},
                 {"id": 1, "title": "t1", "score": 0.25, "reason": "b"}],
        "page": 2, "page_size": 3, "next_cursor": "c3", "cold_start": False,
        "model_version": None,
    }  # fmt: skip
