"""Signing a browser in to `/ui` with an admin key (auth on), over HTTP: the session cookie, its
limits (expiry, revocation, tampering, `/ui` only), the redirects and the readable errors."""

from __future__ import annotations

import time
from http.cookies import SimpleCookie

import pytest
from fastapi.testclient import TestClient

from tests.api.helpers import add_key, assert_error, make_client
from videorec.api.security.keys import hash_key, prefix_of
from videorec.api.security.ui_session import COOKIE, TTL_S, issue_token
from videorec.kit.db import make_sessionmaker
from videorec.settings import DEV_CURSOR_SECRET
from videorec.storage.repositories import api_keys

PAGES = ("/ui", "/ui/models", "/ui/events", "/ui/explorer")


def _sign_in(client: TestClient, key: str, target: str = "/ui"):
    return client.post("/ui/login", data={"key": key, "next": target}, follow_redirects=False)


def _cookie(response) -> SimpleCookie:
    jar: SimpleCookie = SimpleCookie()
    jar.load(response.headers["set-cookie"])
    return jar


def _as_cookie(token: str) -> dict[str, str]:
    return {"Cookie": f"{COOKIE}={token}"}


class TestSignIn:
    def test_a_page_without_sign_in_redirects_to_the_login_form(self, db, tmp_path) -> None:
        add_key(db, "ops", ["admin"])
        with make_client(db, tmp_path, auth_required=True) as client:
            page = client.get("/ui/models?x=1", follow_redirects=False)
            form = client.get(page.headers["location"])
        assert page.status_code == 303
        assert page.headers["location"] == "/ui/login?next=/ui/models%3Fx%3D1"
        assert form.status_code == 200
        assert form.headers["content-type"].startswith("text/html")
        assert 'name="key"' in form.text
        assert 'value="/ui/models?x=1"' in form.text

    def test_an_admin_key_sets_a_signed_session_cookie_that_opens_every_page(
        self, db, tmp_path
    ) -> None:
        admin = add_key(db, "ops", ["admin"])
        with make_client(db, tmp_path, auth_required=True) as client:
            signed = _sign_in(client, admin, "/ui/events")
            statuses = {path: client.get(path, follow_redirects=False).status_code
                        for path in PAGES}  # fmt: skip
        morsel = _cookie(signed)[COOKIE]
        assert signed.status_code == 303
        assert signed.headers["location"] == "/ui/events"
        assert morsel["httponly"] is True
        assert morsel["samesite"].lower() == "strict"
        assert morsel["path"] == "/ui"
        assert int(morsel["max-age"]) == TTL_S
        assert admin not in morsel.value
        assert admin.split("_")[-1] not in morsel.value
        assert statuses == dict.fromkeys(PAGES, 200)

    @pytest.mark.parametrize(
        ("scopes", "status", "says"),
        [(None, 401, "unknown or revoked"), (["feed:read"], 403, "lacks the admin scope")],
        ids=["unknown-key", "no-admin-scope"],
    )
    def test_a_wrong_key_shows_a_readable_error_and_sets_no_cookie(
        self, db, tmp_path, scopes, status, says
    ) -> None:
        key = add_key(db, "app", scopes) if scopes else "vr_0123456789ab_not-a-real-key"
        with make_client(db, tmp_path, auth_required=True) as client:
            answer = _sign_in(client, key)
            after = client.get("/ui", follow_redirects=False)
        assert answer.status_code == status
        assert answer.headers["content-type"].startswith("text/html")
        assert says in answer.text
        assert 'role="alert"' in answer.text
        assert "set-cookie" not in answer.headers
        assert after.status_code == 303

    def test_an_empty_key_is_a_400_with_the_form_again(self, db, tmp_path) -> None:
        with make_client(db, tmp_path, auth_required=True) as client:
            answer = _sign_in(client, "  ")
        assert answer.status_code == 400
        assert "Paste an API key" in answer.text

    @pytest.mark.parametrize("target", ["//evil.example/ui", "https://evil.example", "/metrics",
                                        "/ui/login", "/ui\\@evil.example"])  # fmt: skip
    def test_after_sign_in_it_goes_only_to_a_dashboard_page(self, db, tmp_path, target) -> None:
        admin = add_key(db, "ops", ["admin"])
        with make_client(db, tmp_path, auth_required=True) as client:
            assert _sign_in(client, admin, target).headers["location"] == "/ui"

    def test_logout_ends_the_session(self, db, tmp_path) -> None:
        admin = add_key(db, "ops", ["admin"])
        with make_client(db, tmp_path, auth_required=True) as client:
            _sign_in(client, admin)
            assert client.get("/ui", follow_redirects=False).status_code == 200
            out = client.get("/ui/logout", follow_redirects=False)
            after = client.get("/ui", follow_redirects=False)
        assert out.status_code == 303
        assert out.headers["location"] == "/ui/login"
        assert after.status_code == 303

    def test_htmx_requests_without_sign_in_are_told_where_to_go(self, db, tmp_path) -> None:
        with make_client(db, tmp_path, auth_required=True) as client:
            answer = client.get("/ui/explorer/results", params={"username": "x"},
                                headers={"HX-Request": "true"}, follow_redirects=False)  # fmt: skip
        assert answer.status_code == 401
        assert answer.headers["hx-redirect"].startswith("/ui/login?next=/ui/explorer/results")

    def test_with_auth_off_the_login_page_sends_you_to_the_dashboard(self, db, tmp_path) -> None:
        with make_client(db, tmp_path) as client:
            answer = client.get("/ui/login", follow_redirects=False)
            posted = _sign_in(client, "vr_0123456789ab_anything-at-all")
        assert posted.status_code == 303
        assert "set-cookie" not in posted.headers
        assert answer.status_code == 303
        assert answer.headers["location"] == "/ui"


class TestTheSessionCookie:
    def test_it_never_opens_the_json_api(self, db, tmp_path) -> None:
        admin = add_key(db, "ops", ["admin"])
        with make_client(db, tmp_path, auth_required=True) as client:
            token = _cookie(_sign_in(client, admin))[COOKIE].value
            client.cookies.clear()
            assert client.get("/ui", headers=_as_cookie(token),
                              follow_redirects=False).status_code == 200  # fmt: skip
            for path in ("/posts/all", "/metrics", "/openapi.json", "/docs", "/ready"):
                assert_error(client.get(path, headers=_as_cookie(token)), 401, "unauthorized")

    def test_a_revoked_key_ends_its_sessions(self, db, tmp_path) -> None:
        admin = add_key(db, "ops", ["admin"])
        with make_client(db, tmp_path, auth_required=True) as client:
            client.app.state.guard.cache_ttl_s = 0  # type: ignore[attr-defined]
            _sign_in(client, admin)
            assert client.get("/ui", follow_redirects=False).status_code == 200
            with make_sessionmaker(db).begin() as session:
                api_keys.revoke(session, "ops")
            assert client.get("/ui", follow_redirects=False).status_code == 303

    @pytest.mark.parametrize("fault", ["expired", "tampered", "other-hash", "garbage"])
    def test_an_expired_or_forged_token_is_refused(self, db, tmp_path, fault) -> None:
        """Even with the public dev secret, a token needs the key's stored hash to be forged."""
        admin = add_key(db, "ops", ["admin"])
        prefix = prefix_of(admin)
        assert prefix is not None
        secret, stored = DEV_CURSOR_SECRET, hash_key(admin)
        valid = issue_token(secret, prefix, stored)
        token = {
            "expired": issue_token(secret, prefix, stored, now=time.time() - TTL_S - 1),
            "tampered": valid[:-1] + ("1" if valid.endswith("0") else "0"),
            "other-hash": issue_token(secret, prefix, hash_key(admin + "x")),
            "garbage": "not-a-token",
        }[fault]
        with make_client(db, tmp_path, auth_required=True) as client:
            good = client.get("/ui", headers=_as_cookie(valid), follow_redirects=False)
            bad = client.get("/ui", headers=_as_cookie(token), follow_redirects=False)
        assert good.status_code == 200
        assert bad.status_code == 303
        assert bad.headers["location"].startswith("/ui/login")
