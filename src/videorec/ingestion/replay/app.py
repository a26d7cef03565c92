"""The replay server's Starlette app: API.md's envelope, key order, pagination and auth.

- `page_size` in the envelope is the number of items returned; `max_page_size` echoes the
  requested size; a page past the end is an empty list with HTTP 200.
- `/users/get_all` and `/posts/summary/get` need the `Flic-Token` header; the four logs need
  `?resonance_algorithm=`. A missing or wrong value is a 401 (token) or 403 (key) with
  `{"status": "error", "message": ...}` (the real error shape is unknown, API.md §7). Where no
  expected value is configured, any non-empty one is accepted.
- Faults come from `faults.FaultPlan`.
"""

from __future__ import annotations

import asyncio
import hmac

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from videorec.ingestion.replay.data import ReplayData
from videorec.ingestion.replay.faults import Fault, FaultConfig, FaultPlan, malform
from videorec.ingestion.resources import RESOURCES, USERS, Auth, Resource

DEFAULT_PAGE_SIZE = 1000


class DroppedConnection(Exception):
    """Raised after a partial body so the server closes the connection mid-response."""


def create_replay_app(
    data: ReplayData,
    *,
    faults: FaultConfig | None = None,
    flic_token: str | None = None,
    resonance_key: str | None = None,
) -> Starlette:
    """Build the app serving `data`.

    Args:
        data: the items of each resource.
        faults: failures to inject (none by default).
        flic_token: the `Flic-Token` value to require; any non-empty one when None.
        resonance_key: the `resonance_algorithm` value to require; any non-empty one when None.
    """
    plan = FaultPlan(faults or FaultConfig())
    secrets = {Auth.TOKEN: flic_token, Auth.RESONANCE: resonance_key}

    def endpoint(resource: Resource) -> Route:
        async def handle(request: Request) -> Response:
            return await _serve(request, resource, data, plan, secrets)

        return Route(resource.path, handle, methods=["GET"])

    app = Starlette(routes=[endpoint(resource) for resource in RESOURCES])
    app.state.fault_plan = plan
    return app


async def _serve(
    request: Request,
    resource: Resource,
    data: ReplayData,
    plan: FaultPlan,
    secrets: dict[Auth, str | None],
) -> Response:
    if plan.config.latency_ms > 0:
        await asyncio.sleep(plan.config.latency_ms / 1000)
    denied = _check_auth(request, resource, secrets)
    if denied is not None:
        return denied
    fault = plan.next_fault()
    if fault is Fault.SERVER_ERROR:
        return _error(500, "Internal Server Error")
    if fault is Fault.RATE_LIMITED:
        headers = {"Retry-After": f"{plan.config.retry_after:g}"}
        return Response(_error_body("Too Many Requests"), 429, headers, "application/json")
    try:
        page = int(request.query_params.get("page", "1"))
        size = int(request.query_params.get("page_size", str(DEFAULT_PAGE_SIZE)))
    except ValueError:
        return _error(400, "page and page_size must be integers")
    if page < 1 or size < 1:
        return _error(400, "page and page_size must be positive")
    body = _envelope(resource, data, plan, page, size)
    if fault is Fault.DROP:
        return _DroppedResponse(body)
    return Response(body, 200, media_type="application/json")


def _check_auth(
    request: Request, resource: Resource, secrets: dict[Auth, str | None]
) -> Response | None:
    if resource.auth is Auth.TOKEN:
        given, status, what = request.headers.get("Flic-Token", ""), 401, "Flic-Token"
    else:
        given, status, what = request.query_params.get("resonance_algorithm", ""), 403, "key"
    expected = secrets[resource.auth]
    if not given or (expected is not None and not hmac.compare_digest(given, expected)):
        return _error(status, f"Invalid or missing {what}")
    return None


def _envelope(resource: Resource, data: ReplayData, plan: FaultPlan, page: int, size: int) -> bytes:
    items = data.items.get(resource.name, [])
    start = (page - 1) * size
    chunk = items[start : start + size]
    served = [malform(item, start + i) if plan.is_malformed(resource.name, start + i) else item
              for i, item in enumerate(chunk)]  # fmt: skip
    head: dict[str, object] = {"status": "success", "message": resource.message, "page": page}
    if resource is USERS:  # the users envelope has its own key order (API.md §1.1)
        head.update(max_page_size=size, page_size=len(served))
    else:
        head.update(page_size=len(served), max_page_size=size)
    prefix = orjson.dumps(head)[:-1]
    return prefix + b',"' + resource.list_key.encode() + b'":[' + b",".join(served) + b"]}"


def _error_body(message: str) -> bytes:
    return orjson.dumps({"status": "error", "message": message})


def _error(status: int, message: str) -> Response:
    return Response(_error_body(message), status, media_type="application/json")


class _DroppedResponse(Response):
    """Announces the full body, sends a part of it, then fails so the connection is cut."""

    def __init__(self, body: bytes) -> None:
        super().__init__(body, 200, media_type="application/json")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code,
                    "headers": self.raw_headers})  # fmt: skip
        await send({"type": "http.response.body", "body": self.body[: len(self.body) // 2],
                    "more_body": True})  # fmt: skip
        raise DroppedConnection("replay fault: connection dropped")
