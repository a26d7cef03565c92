"""UpstreamClient against httpx.MockTransport: auth, paging, retries, backoff, rejections."""

from __future__ import annotations

import random
from collections.abc import Callable

import httpx
import pytest

from videorec.ingestion.client import UpstreamClient
from videorec.ingestion.errors import UpstreamError, UpstreamRejected, UpstreamUnavailable
from videorec.ingestion.resources import POSTS, USERS, VIEW
from videorec.ingestion.retry import RetryPolicy
from videorec.settings import Settings

Handler = Callable[[httpx.Request], httpx.Response]


def envelope(items: list[dict], *, page: int = 1, key: str = "posts") -> dict:
    return {"status": "success", "message": "ok", "page": page, "page_size": len(items),
            "max_page_size": 2, key: items}  # fmt: skip


class Recorder:
    """Records the requests a handler saw and the sleeps the client asked for."""

    def __init__(self, responses: list[httpx.Response | Exception]) -> None:
        self.responses = responses
        self.requests: list[httpx.Request] = []
        self.sleeps: list[float] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        outcome = self.responses[min(len(self.requests), len(self.responses)) - 1]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def client(self, *, attempts: int = 4, token: str | None = "tok", key: str | None = "key"):
        return UpstreamClient(
            "https://api.example.test",
            flic_token=token,
            resonance_key=key,
            retry=RetryPolicy(attempts=attempts, backoff=0.5, max_backoff=4.0),
            transport=httpx.MockTransport(self.handler),
            sleep=self.sleeps.append,
            rng=random.Random(0),
        )


def ok(items: list[dict], **kwargs) -> httpx.Response:
    return httpx.Response(200, json=envelope(items, **kwargs))


ROW = {"id": 1, "post_id": 2, "user_id": 3, "viewed_at": "2024-01-10 07:20:55"}


class TestUpstreamClientRequests:
    def test_sends_the_resonance_key_as_query_and_no_token_to_the_logs(self) -> None:
        recorder = Recorder([ok([ROW])])
        recorder.client().fetch_page(VIEW, 3, page_size=50)
        request = recorder.requests[0]
        assert request.url.path == "/posts/view"
        assert dict(request.url.params) == {"page": "3", "page_size": "50",
                                            "resonance_algorithm": "key"}  # fmt: skip
        assert "Flic-Token" not in request.headers

    def test_sends_the_flic_token_header_to_users_and_posts(self) -> None:
        recorder = Recorder([ok([], key="users"), ok([])])
        client = recorder.client()
        client.fetch_page(USERS, 1)
        client.fetch_page(POSTS, 1)
        assert [r.url.path for r in recorder.requests] == ["/users/get_all", "/posts/summary/get"]
        assert all(r.headers["Flic-Token"] == "tok" for r in recorder.requests)
        assert all("resonance_algorithm" not in r.url.params for r in recorder.requests)

    def test_defaults_to_pages_of_1000(self) -> None:
        recorder = Recorder([ok([])])
        recorder.client().fetch_page(VIEW, 1)
        assert recorder.requests[0].url.params["page_size"] == "1000"

    def test_pages_until_the_first_empty_page(self) -> None:
        recorder = Recorder([ok([ROW, ROW], page=2), ok([ROW], page=3), ok([], page=4)])
        pages = list(recorder.client().iter_pages(VIEW, start_page=2, page_size=2))
        assert [len(p.items) for p in pages] == [2, 1, 0]
        assert [r.url.params["page"] for r in recorder.requests] == ["2", "3", "4"]

    def test_from_settings_reads_the_secrets(self) -> None:
        settings = Settings(flic_token="t0k", resonance_key="k3y", api_base_url="http://x.test")
        client = UpstreamClient.from_settings(settings)
        assert client._secrets[USERS.auth] == "t0k"
        assert client._secrets[VIEW.auth] == "k3y"
        client.close()


class TestUpstreamClientRetries:
    def test_retries_a_500_then_succeeds_with_exponential_backoff(self) -> None:
        recorder = Recorder([httpx.Response(500), httpx.Response(502), ok([ROW])])
        page = recorder.client().fetch_page(VIEW, 1)
        assert len(page.items) == 1
        assert len(recorder.requests) == 3
        first, second = recorder.sleeps
        assert 0.25 <= first <= 0.5  # attempt 1: half to all of 0.5 s
        assert 0.5 <= second <= 1.0  # attempt 2: half to all of 1.0 s

    def test_honours_retry_after_on_429(self) -> None:
        limited = httpx.Response(429, headers={"Retry-After": "7"})
        recorder = Recorder([limited, ok([ROW])])
        recorder.client().fetch_page(VIEW, 1)
        assert recorder.sleeps == [7.0]

    @pytest.mark.parametrize(
        "failure",
        [
            httpx.ReadTimeout("slow"),
            httpx.ConnectTimeout("slow"),
            httpx.ConnectError("refused"),
            httpx.RemoteProtocolError("peer closed connection"),
        ],  # fmt: skip
    )
    def test_retries_timeouts_and_connection_errors(self, failure: Exception) -> None:
        recorder = Recorder([failure, ok([ROW])])
        assert len(recorder.client().fetch_page(VIEW, 1).items) == 1
        assert len(recorder.requests) == 2

    def test_retries_an_invalid_envelope(self) -> None:
        recorder = Recorder([httpx.Response(200, content=b"{not json"), ok([ROW])])
        assert len(recorder.client().fetch_page(VIEW, 1).items) == 1

    def test_gives_up_after_the_bounded_attempts(self) -> None:
        recorder = Recorder([httpx.Response(503)])
        with pytest.raises(UpstreamUnavailable, match="after 4 attempts"):
            recorder.client(attempts=4).fetch_page(VIEW, 1)
        assert len(recorder.requests) == 4
        assert len(recorder.sleeps) == 3

    def test_backoff_is_capped(self) -> None:
        recorder = Recorder([httpx.Response(500)])
        with pytest.raises(UpstreamUnavailable):
            recorder.client(attempts=8).fetch_page(VIEW, 1)
        assert max(recorder.sleeps) <= 4.0


class TestUpstreamClientRejections:
    def test_401_on_users_stops_at_once_naming_flic_token(self) -> None:
        recorder = Recorder([httpx.Response(401, json={"status": "error"})])
        with pytest.raises(UpstreamRejected, match="FLIC_TOKEN") as caught:
            recorder.client().fetch_page(USERS, 1)
        assert len(recorder.requests) == 1
        assert recorder.sleeps == []
        assert caught.value.status_code == 401
        assert '"status"' in caught.value.body

    def test_403_on_a_log_names_the_resonance_key(self) -> None:
        recorder = Recorder([httpx.Response(403)])
        with pytest.raises(UpstreamRejected, match="VIDEOREC_RESONANCE_KEY"):
            recorder.client().fetch_page(VIEW, 1)
        assert len(recorder.requests) == 1

    def test_other_4xx_is_rejected_without_retry(self) -> None:
        recorder = Recorder([httpx.Response(404)])
        with pytest.raises(UpstreamRejected) as caught:
            recorder.client().fetch_page(VIEW, 1)
        assert caught.value.status_code == 404
        assert len(recorder.requests) == 1

    def test_a_missing_secret_fails_before_any_request(self) -> None:
        recorder = Recorder([ok([])])
        with pytest.raises(UpstreamRejected, match="FLIC_TOKEN"):
            recorder.client(token=None).fetch_page(POSTS, 1)
        assert recorder.requests == []

    def test_errors_are_upstream_errors_and_never_show_the_secrets(self) -> None:
        recorder = Recorder([httpx.Response(500)])
        with pytest.raises(UpstreamError) as caught:
            recorder.client(attempts=2, key="s3cret-key").fetch_page(VIEW, 1)
        assert "s3cret-key" not in str(caught.value)
