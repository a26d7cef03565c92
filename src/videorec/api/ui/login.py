"""`/ui/login` and `/ui/logout`: signing a browser in to the dashboard with an admin key.

A browser cannot send `Authorization: Bearer`, so the operator pastes an admin key into a form
once; the answer sets an HttpOnly, SameSite=Strict cookie holding a signed session token (see
`api/security/ui_session.py`; the key itself is never stored in the browser). These routes are
open: they are how one gets in. Pages requested without a sign-in are redirected here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Query, Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from videorec.api.security import ADMIN
from videorec.api.security.ui_session import COOKIE, TTL_S, sign_in
from videorec.errors import Forbidden, RateLimited, SignInRequired, Unauthorized

LOGIN = "/ui/login"
router = APIRouter(prefix="/ui", include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


@router.get("/login")
def login_page(
    request: Request, target: Annotated[str, Query(alias="next", max_length=512)] = "/ui"
) -> Response:
    if not request.app.state.guard.auth_required:  # nothing to sign in to
        return RedirectResponse(_safe_next(target), status_code=303)
    return _form(request, target=_safe_next(target))


@router.post("/login")
async def login(request: Request) -> Response:
    """Check the pasted key like a bearer key (admin scope); on success set the session cookie."""
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    key = form.get("key", [""])[0]
    target = _safe_next(form.get("next", ["/ui"])[0])
    if not request.app.state.guard.auth_required:  # nothing to sign in to, no cookie to set
        return RedirectResponse(target, status_code=303)
    if not key.strip():
        return _form(request, target=target, error="Paste an API key.", status_code=400)
    try:
        token = sign_in(request, key, ADMIN)
    except (Unauthorized, Forbidden, RateLimited) as exc:
        message = {
            "unauthorized": "That key is unknown or revoked.",
            "forbidden": "That key lacks the admin scope the dashboard needs.",
        }.get(exc.code, exc.message)
        return _form(request, target=target, error=message, status_code=exc.status_code,
                     headers=exc.headers if isinstance(exc, RateLimited) else None)  # fmt: skip
    answer = RedirectResponse(target, status_code=303)
    answer.set_cookie(COOKIE, token, max_age=TTL_S, path="/ui", httponly=True,
                      samesite="strict", secure=request.url.scheme == "https")  # fmt: skip
    return answer


@router.api_route("/logout", methods=["GET", "POST"])
def logout(request: Request) -> Response:
    answer = RedirectResponse(LOGIN, status_code=303)
    answer.delete_cookie(COOKIE, path="/ui", httponly=True, samesite="strict",
                         secure=request.url.scheme == "https")  # fmt: skip
    return answer


async def sign_in_required(request: Request, exc: Exception) -> Response:
    """A `/ui` request without a live sign-in: pages go to the login form, htmx follows there."""
    assert isinstance(exc, SignInRequired)
    target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    location = f"{LOGIN}?next={target}"
    if request.headers.get("hx-request"):
        return Response(status_code=401, headers={"HX-Redirect": location, **exc.headers})
    if request.method in ("GET", "HEAD"):
        return RedirectResponse(location, status_code=303)
    return _form(request, target="/ui", error=exc.message, status_code=401, headers=exc.headers)


def _form(request: Request, *, target: str, error: str | None = None, status_code: int = 200,
          headers: dict[str, str] | None = None) -> Response:  # fmt: skip
    context = {"next": target, "error": error, "page": "login"}
    return templates.TemplateResponse(request, "login.html", context,
                                      status_code=status_code, headers=headers)  # fmt: skip


def _safe_next(target: str) -> str:
    """Only a dashboard path: never another host (`//evil`, `/\\evil`) or the login page again."""
    if not target.startswith("/ui") or target.startswith(LOGIN) or "\\" in target:
        return "/ui"
    return target
