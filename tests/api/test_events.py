"""`POST /events` end to end on the seeded world, on SQLite and PostgreSQL, through HTTP only."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import jsonschema_rs
import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.serving import world
from videorec.api.app import create_app
from videorec.api.deps import get_session
from videorec.features.text import EmbeddingCache
from videorec.ingestion.events import MAX_BATCH
from videorec.serving.config import load_feed_config
from videorec.serving.registry import PipelineRegistry
from videorec.storage.repositories.ingest_interactions import count_by_kind
from videorec.storage.repositories.logs import load_interactions
from videorec.storage.tables import Interaction, User


@pytest.fixture(scope="module")
def text_cache() -> EmbeddingCache:
    return EmbeddingCache()


@pytest.fixture
def api(engine, session, settings, text_cache) -> Iterator[TestClient]:
    world.populate(session)
    registry = PipelineRegistry(load_feed_config(), text_cache.encode)
    app = create_app(settings, engine=engine, registry=registry)
    app.dependency_overrides[get_session] = lambda: session
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _ids(body: dict) -> list[int]:
    return [p["id"] for p in body["post"]]


def _event(event_id: str, post_id: int, kind: str = "like", username: str = "fan1", **extra):
    return {"id": event_id, "username": username, "post_id": post_id, "kind": kind, **extra}


class TestTheNextFeedReflectsEvents:
    def test_a_liked_post_leaves_the_next_feed_and_a_resent_batch_adds_nothing(
        self, api: TestClient, session: Session
    ) -> None:
        first = _ids(api.get("/feed", params={"username": "fan1"}).json())
        batch = {"events": [_event("app-like-1", first[0])]}
        sent = api.post("/events", json=batch)
        assert sent.status_code == 200, sent.text
        assert sent.json()["accepted"] == 1
        likes = count_by_kind(session)["like"]

        again = _ids(api.get("/feed", params={"username": "fan1"}).json())
        resent = api.post("/events", json=batch).json()

        assert first[0] not in again
        assert resent["accepted"] == 0
        assert resent["duplicates"] == 1
        assert count_by_kind(session)["like"] == likes

    def test_an_unknown_user_is_created_and_turns_warm_at_the_threshold(
        self, api: TestClient, session: Session
    ) -> None:
        cold = api.get("/feed", params={"username": "newcomer"}).json()
        assert cold["cold_start"] is True
        liked = _ids(cold)[:3]
        events = [_event(f"n-{i}", post, username="newcomer") for i, post in enumerate(liked)]
        body = api.post("/events", json={"events": events}).json()

        warm = api.get("/feed", params={"username": "newcomer"}).json()

        assert body["users_created"] == 1
        assert session.scalar(select(User.id).where(User.username == "newcomer")) < 0
        assert warm["cold_start"] is False
        assert not set(liked) & set(_ids(warm))
        assert any(p["reason"] == "similar to posts you liked" for p in warm["post"])

    def test_events_are_stored_with_their_source_beside_synced_ones(
        self, api: TestClient, session: Session
    ) -> None:
        api.post("/events", json={"events": [_event("src-1", 1001, "rating", rating=80)]})
        rows = session.execute(
            select(Interaction.source, Interaction.kind, Interaction.rating,
                   Interaction.upstream_id).where(Interaction.client_event_id == "src-1")
        ).all()  # fmt: skip
        synced = session.scalars(select(Interaction.source).where(Interaction.upstream_id > 0))
        assert rows == [("api", "rating", 80, None)]
        assert set(synced) == {"sync"}


class TestPopularityCatchesUp:
    def test_a_burst_of_likes_makes_a_post_trend_after_the_refresh(
        self, engine, session, settings, text_cache
    ) -> None:
        world.populate(session)
        config = load_feed_config().model_copy(update={"refresh_s": 0.0})
        app = create_app(settings, engine=engine,
                         registry=PipelineRegistry(config, text_cache.encode))  # fmt: skip
        app.dependency_overrides[get_session] = lambda: session
        with TestClient(app, raise_server_exceptions=False) as api:
            before = _ids(api.get("/feed", params={"username": "nobody"}).json())
            post = next(p for p in range(1000, 1120) if p not in before and _public(api, p))
            likes = [_event(f"burst-{i}", post, username=f"fan-{i}") for i in range(30)]
            assert api.post("/events", json={"events": likes}).status_code == 200
            after = api.get("/feed", params={"username": "nobody"}).json()

        assert post in _ids(after)


def _public(api: TestClient, post_id: int) -> bool:
    index = api.app.state.feed.registry._state.index
    row = int(index.rows_of(np.asarray([post_id]))[0])
    return bool(index.public[row]) if row >= 0 else False


class TestValidation:
    def test_bad_items_are_reported_by_index_and_good_ones_kept(
        self, api: TestClient, session: Session
    ) -> None:
        events = [
            _event("ok-1", 1002),
            _event("bad-kind", 1002, kind="share"),
            _event("bad-post", 999_999),
            _event("no-rating", 1003, kind="rating"),
            {**_event("extra", 1003), "color": "red"},
            "not an object",
            _event("future", 1004, at="2999-01-01T00:00:00Z"),
            _event("like-rating", 1004, rating=50),
            _event("ok-2", 1005, kind="view", at="2025-06-01T12:00:00+02:00"),
        ]
        response = api.post("/events", json={"events": events})
        body = response.json()

        assert response.status_code == 422
        assert body["status"] == "error"
        assert body["code"] == "invalid_events"
        assert [r["index"] for r in body["rejected"]] == [1, 2, 3, 4, 5, 6, 7]
        fields = {r["index"]: r["field"] for r in body["rejected"]}
        assert fields == {1: "kind", 2: "post_id", 3: "rating", 4: "color", 5: "event",
                          6: "at", 7: "rating"}  # fmt: skip
        assert body["accepted"] == 2
        stored = dict(session.execute(
            select(Interaction.client_event_id, Interaction.occurred_at)
            .where(Interaction.source == "api")
        ).all())  # fmt: skip
        assert stored.keys() == {"ok-1", "ok-2"}
        assert stored["ok-2"] == datetime(2025, 6, 1, 10, 0)

    @pytest.mark.parametrize(
        ("item", "accepted"),
        [
            (_event("s-like", 1002), True),
            (_event("s-like-null", 1002, rating=None), True),
            (_event("s-like-rated", 1002, rating=0), False),
            (_event("s-view-rated", 1002, kind="view", rating=100), False),
            (_event("s-rating", 1002, kind="rating", rating=0), True),
            (_event("s-rating-none", 1002, kind="rating"), False),
            (_event("s-rating-null", 1002, kind="rating", rating=None), False),
            (_event("s-rating-high", 1002, kind="rating", rating=101), False),
            (_event("s-rating-whole", 1002, kind="rating", rating=80.0), True),
            (_event("s-rating-half", 1002, kind="rating", rating=80.5), False),
            (_event("s-rating-text", 1002, kind="rating", rating="80"), False),
            (_event("s-post-whole", 1002.0), True),
            (_event("s-share", 1002, kind="share"), False),
            ({**_event("s-extra", 1002), "color": "red"}, False),
        ],
        ids=lambda value: value["id"] if isinstance(value, dict) else str(value),
    )
    def test_the_published_item_schema_accepts_exactly_what_the_server_stores(
        self, api: TestClient, item: dict, accepted: bool
    ) -> None:
        spec = api.get("/openapi.json").json()
        batch = spec["paths"]["/events"]["post"]["requestBody"]["content"]["application/json"]
        item_schema = _resolve(batch["schema"], spec)["properties"]["events"]["items"]

        served = api.post("/events", json={"events": [item]})

        assert (served.status_code == 200) is accepted, served.text
        assert jsonschema_rs.validator_for(item_schema).is_valid(item) is accepted

    @pytest.mark.parametrize("at", [1.7976931348623157e308, 10**30, "9" * 30])
    def test_a_time_no_calendar_holds_is_rejected_by_index_not_a_500(
        self, api: TestClient, at: object
    ) -> None:
        response = api.post("/events", json={"events": [_event("far", 1002, at=at)]})
        assert response.status_code == 422, response.text
        assert [(r["index"], r["field"]) for r in response.json()["rejected"]] == [(0, "at")]

    @pytest.mark.parametrize(
        "at", ["0001-01-01T00:00:00Z", -62135596800000, "1969-12-31T23:59:59Z"]
    )
    def test_a_time_before_1970_is_rejected_and_the_log_stays_readable(
        self, api: TestClient, session, at: object
    ) -> None:
        response = api.post("/events", json={"events": [_event("old", 1002, at=at)]})
        assert response.status_code == 422, response.text
        assert [(r["index"], r["field"]) for r in response.json()["rejected"]] == [(0, "at")]
        # SQLite stores year 1 as '1-01-01', which no reader parses back: one such row made
        # every later build of the feed state fail (the server never became ready again).
        assert len(load_interactions(session)) > 0

    def test_an_unreadable_body_is_a_documented_400(self, api: TestClient) -> None:
        response = api.post("/events", content=b'{"events": \xff}',
                            headers={"Content-Type": "application/json"})  # fmt: skip
        documented = api.get("/openapi.json").json()["paths"]["/events"]["post"]["responses"]
        assert response.status_code == 400
        assert response.json()["status"] == "error"
        assert "400" in documented

    def test_a_repeated_id_within_a_batch_is_stored_once(
        self, api: TestClient, session: Session
    ) -> None:
        body = api.post("/events", json={"events": [_event("twice", 1006)] * 2}).json()
        stored = session.scalars(
            select(Interaction.id).where(Interaction.client_event_id == "twice")
        )
        assert (body["accepted"], body["duplicates"]) == (1, 1)
        assert len(list(stored)) == 1

    @pytest.mark.parametrize(
        "payload",
        [{"events": []}, {"events": "x"}, {}, {"events": [_event("e", 1001)] * (MAX_BATCH + 1)}],
    )
    def test_a_malformed_batch_is_a_422_and_stores_nothing(
        self, api: TestClient, session: Session, payload: dict
    ) -> None:
        before = count_by_kind(session)
        response = api.post("/events", json=payload)
        assert response.status_code == 422
        assert response.json()["code"] == "invalid_request"
        assert count_by_kind(session) == before

    def test_a_body_that_is_not_json_is_a_422(self, api: TestClient) -> None:
        response = api.post(
            "/events", content=b"{nope", headers={"content-type": "application/json"}
        )
        assert response.status_code == 422
        assert response.json()["status"] == "error"


def _resolve(schema: dict, spec: dict) -> dict:
    """`schema`, or the component it points at (`{"$ref": "#/components/schemas/X"}`)."""
    ref = schema.get("$ref")
    return spec["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else schema
