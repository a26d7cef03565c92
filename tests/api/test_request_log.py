"""One JSON log line per request, a request id echoed back, and nothing secret in the logs."""

from __future__ import annotations

import json

import pytest
import structlog
from sqlalchemy import text
from sqlalchemy.exc import StatementError

from tests.api.helpers import add_key, auth, make_client
from videorec.api import request_log
from videorec.kit.db import make_engine


def _lines(err: str) -> list[dict]:
    return [json.loads(line) for line in err.splitlines() if line.startswith("{")]


@pytest.fixture
def logged(db, tmp_path, monkeypatch):
    secret = add_key(db, "mobile-app", ["feed:read"])
    with make_client(db, tmp_path, auth_required=True, log_json=True) as client:
        # structlog caches a logger's configuration on first use: take one made after start-up
        monkeypatch.setattr(request_log, "log", structlog.get_logger("videorec.request"))
        yield client, secret


def test_one_json_line_per_request_with_route_status_latency(logged, capsys) -> None:
    client, secret = logged
    capsys.readouterr()
    response = client.get("/feed", params={"username": "alice_secret_name"}, headers=auth(secret))
    assert response.status_code == 200
    (line,) = [entry for entry in _lines(capsys.readouterr().err) if entry["event"] == "request"]
    assert line["route"] == "/feed"
    assert line["status"] == 200
    assert line["method"] == "GET"
    assert line["level"] == "info"
    assert isinstance(line["latency_ms"], float)
    assert line["latency_ms"] >= 0
    assert line["client"] == "mobile-app"
    assert line["request_id"] == response.headers["x-request-id"]


def test_a_given_request_id_is_echoed_and_a_bad_one_replaced(logged, capsys) -> None:
    client, secret = logged
    given = client.get("/posts/all", headers={**auth(secret), "X-Request-ID": "abc-123"})
    bad = client.get("/posts/all", headers={**auth(secret), "X-Request-ID": "x" * 200})
    assert given.headers["x-request-id"] == "abc-123"
    assert len(bad.headers["x-request-id"]) == 32
    ids = [e["request_id"] for e in _lines(capsys.readouterr().err) if e["event"] == "request"]
    assert ids == ["abc-123", bad.headers["x-request-id"]]


def test_no_key_username_or_query_reaches_the_log(logged, capsys) -> None:
    client, secret = logged
    client.get("/feed", params={"username": "alice_secret_name"}, headers=auth(secret))
    client.get("/feed", params={"username": "alice_secret_name"},
               headers=auth(secret[:-3] + "xyz"))  # fmt: skip
    client.get("/nowhere", headers=auth(secret))
    err = capsys.readouterr().err
    lines = [e for e in _lines(err) if e["event"] == "request"]
    assert [(e["route"], e["status"]) for e in lines] == [
        ("/feed", 200), ("/feed", 401), ("unmatched", 404)]  # fmt: skip
    assert secret not in err
    assert secret[3:15] not in err
    assert "alice_secret_name" not in err


def test_sql_errors_hide_bound_parameters(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as connection, pytest.raises(StatementError) as caught:
        connection.execute(text("SELECT * FROM no_such_table WHERE name = :n"),
                           {"n": "alice_secret_name"})  # fmt: skip
    assert "alice_secret_name" not in str(caught.value)
    assert "hidden due to hide_parameters" in str(caught.value)
    engine.dispose()


def test_startup_says_when_auth_is_off(db, tmp_path, capsys) -> None:
    with make_client(db, tmp_path, log_json=True):
        pass
    assert "auth_off" in capsys.readouterr().err
    with make_client(db, tmp_path, log_json=True, auth_required=True):
        pass
    assert "auth_off" not in capsys.readouterr().err
