"""API keys, scopes, rate limits, size and time limits, on a committed SQLite database (the
guard reads keys through the app's own sessionmaker, as in production)."""

from __future__ import annotations

import asyncio

import pytest
from redis import Redis

from tests.api.helpers import add_key, assert_error, auth, make_client
from videorec.kit.db import make_sessionmaker
from videorec.storage.repositories import api_keys


class TestKeys:
    def test_a_feed_read_key_gets_the_feed(self, db, tmp_path) -> None:
        secret = add_key(db, "app", ["feed:read"])
        with make_client(db, tmp_path, auth_required=True) as client:
            assert (
                client.get("/feed", params={"username": "x"}, headers=auth(secret)).status_code
                == 200
            )
            assert client.get("/posts/all", headers=auth(secret)).status_code == 200

    @pytest.mark.parametrize(
        "header",
        [
            None,
            "Bearer",
            "Basic abc",
            "Bearer vr_nope",
            "Bearer vr_0123456789ab_not-the-right-secret",
        ],
    )
    def test_no_key_or_an_unknown_one_is_401(self, db, tmp_path, header) -> None:
        add_key(db, "app", ["feed:read"])
        headers = {"Authorization": header} if header else {}
        with make_client(db, tmp_path, auth_required=True) as client:
            response = client.get("/feed", params={"username": "x"}, headers=headers)
        assert_error(response, 401, "unauthorized")
        assert response.headers["www-authenticate"] == "Bearer"

    def test_a_key_with_the_right_prefix_and_a_wrong_secret_is_401(self, db, tmp_path) -> None:
        secret = add_key(db, "app", ["feed:read"])
        forged = secret[:-4] + ("AAAA" if not secret.endswith("AAAA") else "BBBB")
        with make_client(db, tmp_path, auth_required=True) as client:
            assert_error(client.get("/posts/all", headers=auth(forged)), 401, "unauthorized")

    def test_a_wrong_scope_is_403(self, db, tmp_path) -> None:
        writer = add_key(db, "writer", ["events:write"])
        reader = add_key(db, "reader", ["feed:read"])
        with make_client(db, tmp_path, auth_required=True) as client:
            assert_error(client.get("/feed", params={"username": "x"}, headers=auth(writer)),
                         403, "forbidden")  # fmt: skip
            for path in ("/ready", "/metrics", "/docs", "/openapi.json"):
                assert_error(client.get(path, headers=auth(reader)), 403, "forbidden")

    def test_admin_opens_operations_and_health_is_always_open(self, db, tmp_path) -> None:
        admin = add_key(db, "ops", ["admin"])
        with make_client(db, tmp_path, auth_required=True) as client:
            assert client.get("/health").status_code == 200
            for path in ("/ready", "/metrics", "/docs", "/openapi.json"):
                assert_error(client.get(path), 401, "unauthorized")
                assert client.get(path, headers=auth(admin)).status_code == 200, path
            assert client.get("/posts/all", headers=auth(admin)).status_code == 200

    def test_a_revoked_key_is_refused(self, db, tmp_path) -> None:
        secret = add_key(db, "gone", ["feed:read"])
        with make_client(db, tmp_path, auth_required=True) as client:
            client.app.state.guard.cache_ttl_s = 0  # type: ignore[attr-defined]
            assert client.get("/posts/all", headers=auth(secret)).status_code == 200
            with make_sessionmaker(db).begin() as session:
                api_keys.revoke(session, "gone")
            assert_error(client.get("/posts/all", headers=auth(secret)), 401, "unauthorized")

    def test_production_requires_keys_and_development_does_not(self, db, tmp_path) -> None:
        with make_client(db, tmp_path, env="production",
                         cursor_secret="a-test-secret-not-the-default") as client:  # fmt: skip
            assert_error(client.get("/posts/all"), 401, "unauthorized")
        with make_client(db, tmp_path) as client:
            assert client.get("/posts/all").status_code == 200
            assert client.get("/metrics").status_code == 200

    def test_openapi_states_the_bearer_scheme_when_auth_is_on(self, db, tmp_path) -> None:
        admin = add_key(db, "ops", ["admin"])
        with make_client(db, tmp_path, auth_required=True) as client:
            spec = client.get("/openapi.json", headers=auth(admin)).json()
        assert spec["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
        feed = spec["paths"]["/feed"]["get"]
        assert feed["security"] == [{"apiKey": []}]
        assert {"401", "403", "429"} <= set(feed["responses"])
        assert "security" not in spec["paths"]["/health"]["get"]


class TestRateLimits:
    def test_the_sixth_quick_request_gets_429_with_retry_after(self, db, tmp_path) -> None:
        with make_client(db, tmp_path, rate_limit="5/minute") as client:
            statuses = [client.get("/posts/all").status_code for _ in range(6)]
            last = client.get("/posts/all")
        assert statuses == [200] * 5 + [429]
        assert_error(last, 429, "rate_limited")
        assert 1 <= int(last.headers["retry-after"]) <= 12  # one token refills in 12 s

    def test_each_key_has_its_own_bucket(self, db, tmp_path) -> None:
        one, two = add_key(db, "one", ["feed:read"]), add_key(db, "two", ["feed:read"])
        with make_client(db, tmp_path, auth_required=True, rate_limit="2/minute") as client:
            first = [client.get("/posts/all", headers=auth(one)).status_code for _ in range(3)]
            second = [client.get("/posts/all", headers=auth(two)).status_code for _ in range(2)]
        assert first == [200, 200, 429]
        assert second == [200, 200]

    def test_health_is_never_limited(self, db, tmp_path) -> None:
        with make_client(db, tmp_path, rate_limit="1/minute") as client:
            assert {client.get("/health").status_code for _ in range(5)} == {200}

    def test_replicas_share_one_bucket_in_redis(self, db, tmp_path, redis_url) -> None:
        prefix_probe = Redis.from_url(redis_url)
        secret = add_key(db, "shared", ["feed:read"])
        settings = {"auth_required": True, "rate_limit": "4/minute", "redis_url": redis_url}
        try:
            with make_client(db, tmp_path, **settings) as a, \
                    make_client(db, tmp_path, **settings) as b:  # fmt: skip
                statuses = [c.get("/posts/all", headers=auth(secret)).status_code
                            for c in (a, b, a, b, a)]  # fmt: skip
            assert statuses == [200, 200, 200, 200, 429]
            assert prefix_probe.exists("videorec:rate:key:shared")
        finally:
            prefix_probe.delete("videorec:rate:key:shared")
            prefix_probe.close()

    def test_a_redis_that_fails_falls_back_to_the_process(self, db, tmp_path) -> None:
        settings = {"rate_limit": "2/minute", "redis_url": "redis://127.0.0.1:1/0"}
        with make_client(db, tmp_path, **settings) as client:
            statuses = [client.get("/posts/all").status_code for _ in range(3)]
        assert statuses == [200, 200, 429]


class TestSizeAndTime:
    def test_a_body_over_the_limit_is_413(self, db, tmp_path) -> None:
        with make_client(db, tmp_path, max_body_bytes=100) as client:
            response = client.post("/feed", content=b"x" * 101)
            small = client.post("/feed", content=b"x" * 10)
        assert_error(response, 413, "payload_too_large")
        assert small.status_code == 405

    def test_a_streamed_body_over_the_limit_is_413(self, db, tmp_path) -> None:
        with make_client(db, tmp_path, max_body_bytes=100) as client:
            app = client.app

            async def echo(request: __import__("fastapi").Request) -> dict[str, int]:
                return {"size": len(await request.body())}

            app.add_api_route("/echo", echo, methods=["POST"])  # type: ignore[attr-defined]
            chunks = iter([b"x" * 60, b"x" * 60])
            response = client.post("/echo", content=chunks)
            ok = client.post("/echo", content=iter([b"x" * 60]))
        assert_error(response, 413, "payload_too_large")
        assert ok.json() == {"size": 60}

    def test_a_request_past_the_timeout_is_504(self, db, tmp_path) -> None:
        with make_client(db, tmp_path, request_timeout_s=0.2) as client:

            async def slow() -> dict[str, int]:
                await asyncio.sleep(5)
                return {"late": 1}

            client.app.add_api_route("/slow", slow)  # type: ignore[attr-defined]
            response = client.get("/slow")
        assert_error(response, 504, "timeout")
