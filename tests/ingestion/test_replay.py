"""The replay server: layout, envelope, pagination, auth and seeded faults."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from tests.ingestion.conftest import KEY, SAMPLE_COUNTS, TOKEN
from videorec.errors import ConfigurationError
from videorec.ingestion.replay.app import create_replay_app
from videorec.ingestion.replay.data import ReplayData, load_folder
from videorec.ingestion.replay.faults import Fault, FaultConfig, FaultPlan

LOG_ROWS = [{"id": i, "post_id": 10 + i, "user_id": 1, "viewed_at": "2024-01-01 00:00:00"}
            for i in range(1, 6)]  # fmt: skip


def client_for(data: ReplayData, **faults: float) -> TestClient:
    app = create_replay_app(data, faults=FaultConfig(**faults), flic_token=TOKEN, resonance_key=KEY)
    return TestClient(app)


def view(client: TestClient, **params) -> httpx.Response:
    return client.get("/posts/view", params={"resonance_algorithm": KEY, **params})


class TestReplayLayout:
    def test_reads_the_samples_with_token_scoped_posts_merged(self, samples: ReplayData) -> None:
        assert {name: samples.count(name) for name in SAMPLE_COUNTS} == SAMPLE_COUNTS

    def test_reads_envelopes_ignores_truth_and_sorts_by_id(self, tmp_path: Path) -> None:
        (tmp_path / "truth").mkdir()
        (tmp_path / "truth" / "view.json").write_text(json.dumps(LOG_ROWS))
        envelope = {"status": "success", "page": 1, "posts": list(reversed(LOG_ROWS[:3]))}
        (tmp_path / "view.json").write_text(json.dumps(envelope))
        (tmp_path / "more").mkdir()
        (tmp_path / "more" / "view.json").write_text(json.dumps(LOG_ROWS[2:]))
        data = load_folder(tmp_path)
        assert [json.loads(item)["id"] for item in data.items["view"]] == [1, 2, 3, 4, 5]

    def test_refuses_a_folder_without_data(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigurationError, match="none of"):
            load_folder(tmp_path)


class TestReplayEnvelope:
    def test_posts_envelope_keys_order_and_sizes(self) -> None:
        response = view(client_for(ReplayData.from_lists({"view": LOG_ROWS})), page=2, page_size=2)
        body = response.json()
        assert list(body) == ["status", "message", "page", "page_size", "max_page_size", "posts"]
        assert body["message"] == "Viewed posts fetched successfully"
        assert (body["page"], body["page_size"], body["max_page_size"]) == (2, 2, 2)
        assert [row["id"] for row in body["posts"]] == [3, 4]

    def test_last_page_is_short_and_past_the_end_is_empty(self) -> None:
        client = client_for(ReplayData.from_lists({"view": LOG_ROWS}))
        assert view(client, page=2, page_size=3).json()["page_size"] == 2
        past = view(client, page=3, page_size=3)
        assert past.status_code == 200
        assert (past.json()["page_size"], past.json()["max_page_size"], past.json()["posts"]) == (
            0, 3, [])  # fmt: skip

    def test_users_envelope_has_its_own_key_order(self) -> None:
        client = client_for(ReplayData.from_lists({"users": [{"id": 1, "username": "a"}]}))
        body = client.get("/users/get_all", headers={"Flic-Token": TOKEN}).json()
        assert list(body) == ["status", "message", "page", "max_page_size", "page_size", "users"]

    def test_rejects_bad_paging_parameters(self) -> None:
        assert view(client_for(ReplayData()), page="x").status_code == 400


class TestReplayAuth:
    def test_token_endpoints_need_the_flic_token(self) -> None:
        client = client_for(ReplayData())
        assert client.get("/posts/summary/get").status_code == 401
        assert client.get("/users/get_all", headers={"Flic-Token": "wrong"}).status_code == 401
        assert client.get("/posts/summary/get", headers={"Flic-Token": TOKEN}).status_code == 200

    def test_logs_need_the_resonance_key(self) -> None:
        client = client_for(ReplayData())
        assert client.get("/posts/like").status_code == 403
        assert client.get("/posts/like", params={"resonance_algorithm": "x"}).status_code == 403
        assert client.get("/posts/like", params={"resonance_algorithm": KEY}).status_code == 200


class TestReplayFaults:
    def test_the_same_seed_draws_the_same_faults(self) -> None:
        config = FaultConfig(fail_rate=0.2, rate_limit_rate=0.2, drop_rate=0.2, seed=7)
        plan_a, plan_b = FaultPlan(config), FaultPlan(config)
        draws_a = [plan_a.next_fault() for _ in range(200)]
        assert draws_a == [plan_b.next_fault() for _ in range(200)]
        assert {Fault.NONE, Fault.SERVER_ERROR, Fault.RATE_LIMITED, Fault.DROP} <= set(draws_a)

    def test_malformed_items_depend_on_position_only(self) -> None:
        plan = FaultPlan(FaultConfig(malformed_rate=0.05, seed=3))
        positions = plan.malformed_positions("view", 10_000)
        assert 400 < len(positions) < 600
        assert positions == FaultPlan(FaultConfig(malformed_rate=0.05, seed=3)).malformed_positions(
            "view", 10_000)  # fmt: skip

    def test_429_carries_retry_after(self) -> None:
        client = client_for(ReplayData(), rate_limit_rate=1.0, retry_after=2.0)
        response = view(client)
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "2"

    def test_500_is_served(self) -> None:
        assert view(client_for(ReplayData(), fail_rate=1.0)).status_code == 500

    def test_a_malformed_item_is_served_in_place(self) -> None:
        client = client_for(ReplayData.from_lists({"view": LOG_ROWS}), malformed_rate=1.0)
        rows = view(client).json()["posts"]
        assert len(rows) == len(LOG_ROWS)
        assert all(not isinstance(row["id"], int) for row in rows)

    def test_a_dropped_connection_cuts_the_body(self, replay_server) -> None:
        server = replay_server(
            ReplayData.from_lists({"view": LOG_ROWS}), FaultConfig(drop_rate=1.0)
        )
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.get(f"{server.url}/posts/view", params={"resonance_algorithm": KEY})
