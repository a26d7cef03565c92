"""The OpenAPI document, with what FastAPI cannot infer stated in it.

- Security: with auth on, a bearer scheme, and 401/403 on every guarded operation.
- 429 (with `Retry-After`) on every operation that a rate limit covers, and 413 / 504; 400 where
  a body is read (bytes that are not UTF-8 fail before validation).
- `/feed`: `cursor` and `page` exclude each other, as do `category_id` and `project_code`.
  OpenAPI has no keyword for "these parameters exclude each other", so the query is described
  as one exploded (`style: form`) object whose JSON Schema says so (`not: {required: [a, b]}`):
  the same query string on the wire, and generators and fuzzers (schemathesis) honour it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

EXCLUSIVE = {"/feed": [("cursor", "page"), ("category_id", "project_code")]}
OPEN = {"/health"}
_ERROR = {"$ref": "#/components/schemas/ErrorBody"}


def openapi_builder(app: FastAPI, *, auth_required: bool) -> Callable[[], dict[str, Any]]:
    """The function to set as `app.openapi`: builds the document once, then serves it."""

    def build() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = get_openapi(title=app.title, version=app.version,
                               description=app.description, routes=app.routes)  # fmt: skip
            _add_errors(spec, auth_required)
            for path, groups in EXCLUSIVE.items():
                for operation in spec["paths"].get(path, {}).values():
                    _state_exclusive(operation, groups)
            app.openapi_schema = spec
        return app.openapi_schema

    return build


def query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """A query model's fields as the OpenAPI query parameters FastAPI would have written for
    them as `Query` parameters: for a route that validates its query itself (`openapi_extra`)."""
    schema = model.model_json_schema()
    required = set(schema.get("required", []))
    parameters = []
    for name, field in schema["properties"].items():
        described = {k: v for k, v in field.items() if k != "default" or v is not None}
        parameter = {"name": name, "in": "query", "required": name in required,
                     "schema": described}  # fmt: skip
        if "description" in field:
            parameter["description"] = field["description"]
        parameters.append(parameter)
    return parameters


def _add_errors(spec: dict[str, Any], auth_required: bool) -> None:
    if auth_required:
        schemes = spec.setdefault("components", {}).setdefault("securitySchemes", {})
        schemes["apiKey"] = {"type": "http", "scheme": "bearer",
                             "description": "an API key from `videorec keys create`"}  # fmt: skip
    for path, operations in spec["paths"].items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            responses.setdefault("413", _error("request body too large"))
            responses.setdefault("504", _error("the request ran past the time limit"))
            if "requestBody" in operation:
                responses.setdefault("400", _error("the body cannot be read (not UTF-8 JSON)"))
            if path in OPEN:
                continue
            limited = _error("rate limit reached")
            limited["headers"] = {"Retry-After": {"schema": {"type": "integer"},
                                                  "description": "seconds to wait"}}  # fmt: skip
            responses.setdefault("429", limited)
            if auth_required:
                operation["security"] = [{"apiKey": []}]
                responses.setdefault("401", _error("no API key, or an unknown or revoked one"))
                responses.setdefault("403", _error("the API key lacks the scope needed"))


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR}}}


def _state_exclusive(operation: dict[str, Any], groups: list[tuple[str, str]]) -> None:
    """Fold the query parameters into one exploded object that forbids each pair together."""
    query = [p for p in operation.get("parameters", []) if p.get("in") == "query"]
    if not query:
        return
    properties = {}
    for parameter in query:
        schema = dict(parameter.get("schema", {}))
        if "description" in parameter:
            schema.setdefault("description", parameter["description"])
        properties[parameter["name"]] = _plain(schema)
    required = [p["name"] for p in query if p.get("required")]
    described = "; ".join(f"`{a}` and `{b}` exclude each other" for a, b in groups)
    folded = {
        "name": "query",
        "in": "query",
        "style": "form",
        "explode": True,
        "required": bool(required),
        "description": f"The query parameters. {described}.",
        "schema": {
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": False,
            "allOf": [{"not": {"required": [a, b]}} for a, b in groups],
        },
    }
    others = [p for p in operation.get("parameters", []) if p.get("in") != "query"]
    operation["parameters"] = [*others, folded]
    operation["x-exclusive-parameters"] = [list(group) for group in groups]


def _plain(schema: dict[str, Any]) -> dict[str, Any]:
    """`anyOf: [X, {type: null}]` (an optional parameter) -> X: absent, not null, in a query."""
    options = schema.get("anyOf")
    if options:
        kept = [option for option in options if option.get("type") != "null"]
        if len(kept) == 1:
            rest = {k: v for k, v in schema.items() if k != "anyOf"}
            return {**kept[0], **rest}
    return schema
