"""`/ui`: the operator dashboard, server-rendered with Jinja2 and driven by htmx (vendored).

Pages: overview (`/ui`), feed explorer (`/ui/explorer`), models (`/ui/models`), events
(`/ui/events`). htmx requests get HTML fragments. Nothing on these pages loads from another
host: scripts and styles come from `/ui/static`, and post thumbnails (which live on the app's
CDN) are drawn as placeholders unless the explorer's "remote thumbnails" box is ticked.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request, params
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session
from starlette.responses import FileResponse, Response
from starlette.templating import Jinja2Templates

from videorec.api.deps import SessionDep
from videorec.api.ui import dashboard, explorer, login
from videorec.errors import NotFound, SignInRequired, VideorecError
from videorec.serving.context import FeedRequest
from videorec.serving.feed import FeedService
from videorec.storage.repositories import feed as feed_repo
from videorec.storage.repositories import model_versions

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")

router = APIRouter(prefix="/ui", include_in_schema=False)

Text = Annotated[str, Query(max_length=512)]


def install_ui(app: FastAPI, dependencies: Sequence[params.Depends] = ()) -> None:
    """Mount the dashboard's routes (behind `dependencies`), its open sign-in routes and its
    static files on `app`. A `SignInRequired` raised by `dependencies` sends the browser to
    `/ui/login`."""
    app.state.ui_models = OrderedDict()
    app.state.ui_sessions = explorer.MemorySessionStore()
    app.mount("/ui/static", StaticFiles(directory=HERE / "static"), name="ui-static")
    app.add_exception_handler(SignInRequired, login.sign_in_required)
    app.include_router(login.router)
    app.include_router(router, dependencies=list(dependencies))


@router.get("")
def overview(request: Request, session: SessionDep) -> Response:
    return _render(request, "overview.html", dashboard.overview(session), page="overview")


@router.get("/plots")
def plot(folder: Text, name: Text) -> Response:
    path = dashboard.find_plot(folder, name)
    if path is None:
        raise NotFound(f"no plot {folder}/{name}")
    return FileResponse(path, media_type="image/png")


@router.get("/explorer")
def explorer_page(request: Request, session: SessionDep) -> Response:
    context = {
        "categories": sorted(feed_repo.category_names(session).items(), key=lambda c: c[1]),
        "versions": model_versions.list_all(session),
        "form": dict(request.query_params),
    }
    return _render(request, "explorer.html", context, page="explorer")


def explorer_form(
    username: Text = "",
    category_id: Text = "",
    project_code: Text = "",
    mood: Text = "",
    page_size: Text = "",
    thumbs: Text = "",
) -> dict[str, str]:
    """The explorer's form fields, as typed (validated by `_feed_request`), kept for the links
    to the next pages."""
    return {"username": username, "category_id": category_id, "project_code": project_code,
            "mood": mood, "page_size": page_size, "thumbs": thumbs}  # fmt: skip


FormDep = Annotated[dict[str, str], Depends(explorer_form)]


@router.get("/explorer/results")
def explorer_results(
    request: Request, session: SessionDep, form: FormDep, model_a: Text = "", model_b: Text = ""
) -> Response:
    """Page 1 of the feed: one column, or two when a second model version is chosen."""
    try:
        feed_request = _feed_request(request, form, cursor="")
    except VideorecError as exc:
        return _render(request, "_error.html", {"message": exc.message}, status_code=422)
    columns = [_column(request, session, model_a, feed_request, form)]
    if model_b:
        columns.append(_column(request, session, model_b, feed_request, form))
    return _render(request, "_results.html", {"columns": columns, "params": form})


@router.get("/explorer/page")
def explorer_next(
    request: Request, session: SessionDep, form: FormDep, cursor: Text, version: Text = ""
) -> Response:
    """The next page of one column, through its cursor (htmx appends it under the last one)."""
    try:
        feed_request = _feed_request(request, form, cursor=cursor)
    except VideorecError as exc:
        return _render(request, "_error.html", {"message": exc.message}, status_code=422)
    column = _column(request, session, version, feed_request, form)
    return _render(request, "_page.html", {"column": column, "params": form})


def _feed_request(request: Request, form: dict[str, str], *, cursor: str) -> FeedRequest:
    """The form as `/feed` would read it (a `VideorecError` says what is wrong)."""
    config = request.app.state.feed.config
    return explorer.parse_request(
        form["username"], form["category_id"], form["project_code"], form["mood"],
        form["page_size"], cursor, config.default_page_size, config.max_page_size,
    )  # fmt: skip


def _column(
    request: Request,
    session: Session,
    version: str,
    feed_request: FeedRequest,
    params: dict[str, str],
) -> dict[str, Any]:
    """One column's page, or the reason it cannot be shown; `next` holds the next page's query."""
    service: FeedService = request.app.state.feed
    try:
        if version:
            result = explorer.pinned_page(session, request.app, version, feed_request)
        else:
            store = explorer.session_store(request.app, session)
            result = explorer.live_page(
                session, service, store, request.app.state.presented, feed_request
            )
    except VideorecError as exc:
        return {"version": version, "error": exc.message}
    cursor = result.page.next_cursor
    following = {**params, "cursor": cursor, "version": version} if cursor else None
    return {"version": version, "result": result, "error": None, "next": following}


@router.get("/models")
def models_page(request: Request, session: SessionDep) -> Response:
    return _render(request, "models.html", _models_context(session), page="models")


@router.post("/models/{version}/activate")
def activate(request: Request, session: SessionDep, version: str) -> Response:
    """Make `version` the active model (htmx asks for confirmation first)."""
    model_versions.activate(session, version)
    refresh = request.app.state.feed.config.refresh_s
    message = f"Activated {version}. The feed switches to it within {refresh:g} s."
    return _render(request, "_models_table.html", {**_models_context(session), "message": message})


def _models_context(session: Session) -> dict[str, Any]:
    versions = model_versions.list_all(session)
    return {
        "versions": versions,
        "metrics": {m.version: dashboard.model_metrics(m) for m in versions},
        "message": None,
    }


@router.get("/events")
def events_page(request: Request, session: SessionDep) -> Response:
    context = {"sources": dashboard.latest_events(session)}
    return _render(request, "events.html", context, page="events")


def _render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    page: str | None = None,
    status_code: int = 200,
) -> Response:
    return templates.TemplateResponse(
        request, name, {**context, "page": page}, status_code=status_code
    )
