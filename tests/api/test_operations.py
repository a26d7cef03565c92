"""Health, readiness, unknown paths and the one error shape."""

from __future__ import annotations

from fastapi.testclient import TestClient

from videorec.api.app import create_app
from videorec.settings import Settings


def test_health_is_ok(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}


def test_ready_when_database_answers(client: TestClient) -> None:
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"


def test_ready_is_503_with_reason_when_database_is_down(tmp_path) -> None:
    settings = Settings(
        database_url="postgresql+psycopg://postgres@127.0.0.1:1/nowhere", var_dir=tmp_path
    )
    with TestClient(create_app(settings)) as client:
        response = client.get("/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert "database unreachable" in body["message"]


def test_unknown_path_is_404_in_error_shape(client: TestClient) -> None:
    response = client.get("/no/such/thing")
    assert response.status_code == 404
    assert response.json() == {"status": "error", "code": "not_found", "message": "Not Found"}


def test_wrong_method_is_405_in_error_shape(client: TestClient) -> None:
    response = client.post("/health")
    assert response.status_code == 405
    assert response.json()["status"] == "error"


def test_unexpected_error_is_500_without_stack_trace(client: TestClient) -> None:
    def explode() -> None:
        raise RuntimeError("secret internals")

    client.app.add_api_route("/boom", explode)  # type: ignore[attr-defined]
    response = client.get("/boom")
    assert response.status_code == 500
    assert response.json()["code"] == "internal_error"
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text


def test_openapi_documents_posts_all(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/posts/all" in spec["paths"]


def test_metrics_count_requests_by_route_template(client: TestClient) -> None:
    client.get("/posts/all?page=1")
    client.get("/posts/all?page=2")
    text = client.get("/metrics").text
    assert 'videorec_http_requests_total{route="/posts/all",status="200"} 2.0' in text
    assert "videorec_http_request_seconds_bucket" in text


def test_ready_is_503_when_schema_is_behind(tmp_path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'empty.db'}", var_dir=tmp_path)
    with TestClient(create_app(settings)) as client:
        response = client.get("/ready")
    assert response.status_code == 503
    assert "videorec db upgrade" in response.json()["message"]
