"""GET /posts/all: the app's post format, stable pages, and the bad-input table."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import create_category, create_post

APP_POST_KEYS = {
    "id", "owner", "category", "topic", "title", "is_available_in_public_feed", "is_locked",
    "slug", "upvoted", "bookmarked", "following", "identifier", "comment_count", "upvote_count",
    "view_count", "exit_count", "rating_count", "average_rating", "share_count",
    "bookmark_count", "video_link", "thumbnail_url", "gif_thumbnail_url", "contract_address",
    "chain_id", "chart_url", "baseToken", "created_at", "tags",
}  # fmt: skip


class TestAllPosts:
    def test_returns_posts_in_app_format(self, client: TestClient, session: Session) -> None:
        category = create_category(session, id=13, name="Flic")
        create_post(session, id=3104, category=category, title="Hello", tags=["a"])
        body = client.get("/posts/all").json()
        assert body["status"] == "success"
        post = body["post"][0]
        assert set(post) == APP_POST_KEYS
        assert post["owner"]["name"] == "Sachin Kinha"
        assert post["category"]["name"] == "Flic"
        assert post["topic"] is None
        assert post["created_at"] == 1735732800000  # 2025-01-01 12:00:00 UTC in epoch ms
        assert "post_summary" not in post

    def test_post_without_category_has_null_category(
        self, client: TestClient, session: Session
    ) -> None:
        create_post(session, id=5)
        assert client.get("/posts/all").json()["post"][0]["category"] is None

    def test_pages_are_stable_and_complete(self, client: TestClient, session: Session) -> None:
        for pid in range(1, 8):
            create_post(session, id=pid)
        pages = [client.get(f"/posts/all?page={p}&page_size=3").json() for p in (1, 2, 3)]
        ids = [post["id"] for page in pages for post in page["post"]]
        assert ids == list(range(1, 8))
        assert [page["has_more"] for page in pages] == [True, True, False]
        assert pages[0]["page"] == 1
        assert pages[0]["page_size"] == 3

    def test_page_past_the_end_is_empty(self, client: TestClient) -> None:
        body = client.get("/posts/all?page=50").json()
        assert body["post"] == []
        assert body["has_more"] is False


@pytest.mark.parametrize(
    "query",
    [
        "page=0",
        "page=-1",
        "page_size=-1",
        "page_size=0",
        "page_size=abc",
        "page_size=100000",
        "page=abc",
        "page=1.5",
        "page=99999999999999999999999",
    ],
)
def test_bad_query_gives_4xx_in_error_shape(client: TestClient, query: str) -> None:
    response = client.get(f"/posts/all?{query}")
    assert response.status_code in (400, 422)
    body = response.json()
    assert body["status"] == "error"
    assert body["code"] == "invalid_request"
    assert body["message"]
