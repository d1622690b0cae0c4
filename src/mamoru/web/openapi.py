"""The OpenAPI documents mamoru serves: each process's own (`/api/v1/openapi.json`, what it serves
when addressed directly) and each listener's (`/api/v1/docs/openapi.json`, what a reader of the
public or the staff listener can call there, whichever process behind it answers).

A listener's document is built in the process that serves the listener's docs page (the portal, the
office) from the routers of every role behind the listener (mamoru.web.fronts), without serving them:
the routers are plain objects, and FastAPI's generator reads their routes and models only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fastapi import APIRouter
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from mamoru.web.fronts import Front

ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "description": "Every refusal (4xx): a plain message and, for bad input, where and why.",
    "required": ["detail"],
    "properties": {
        "detail": {"title": "Detail", "type": "string", "description": "In English."},
        "message": {"title": "Message", "type": "string",
                    "description": "The same in the caller's language (?lang=ja|en, else Accept-Language)."},
        "problems": {"title": "Problems", "type": "array", "items": {"$ref": "#/components/schemas/Problem"}},
    },
}
PROBLEM_SCHEMA = {
    "title": "Problem",
    "type": "object",
    "required": ["row", "field", "reason"],
    "properties": {
        "row": {"title": "Row", "anyOf": [{"type": "integer"}, {"type": "null"}]},
        "field": {"title": "Field", "type": "string"},
        "reason": {"title": "Reason", "type": "string", "description": "In English."},
        "text": {"title": "Text", "type": "string",
                 "description": "Where and why, in the caller's language (domain refusals)."},
    },
}
ROLE_KEY = "x-mamoru-role"
"""In a listener's document, the process role each operation is sent to (nginx's upstream)."""


def document(routes: Sequence[BaseRoute], title: str, version: str, description: str) -> dict[str, Any]:
    """FastAPI's document, with the error bodies mamoru really sends: every 4xx answers `Error`
    ({"detail": text, "problems": [...]}), including 422 (FastAPI would promise its own
    HTTPValidationError, which the error handlers of mamoru.web.app replace)."""
    doc = get_openapi(title=title, version=version, description=description, routes=list(routes))
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["Error"] = ERROR_SCHEMA
    schemas["Problem"] = PROBLEM_SCHEMA
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path_item in doc.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            if "422" in responses:
                responses["422"] = {"description": "Invalid input: what is wrong and where", "content": error}
            responses.setdefault("4XX", {"description": "Refused (not signed in, not allowed, not found, "
                                                        "conflict, too large): see detail", "content": error})
    return doc


def listener_document(front: Front, routers_for_role: Callable[[str], list[APIRouter]], title: str,
                      version: str, description: str) -> dict[str, Any]:
    """The operations `front` sends to each of its roles that the role serves, each marked with
    the role (ROLE_KEY): one document, as one API, for the reader of that listener."""
    chosen: list[APIRoute] = []
    role_of: dict[tuple[str, str], str] = {}
    for role in front.roles():
        for router in routers_for_role(role):
            for route in router.routes:
                if not (isinstance(route, APIRoute) and route.include_in_schema and front.role_for(route.path) == role):
                    continue
                methods = {m.lower() for m in route.methods or ()} - {"head"}
                if any((route.path, m) in role_of for m in methods):
                    continue  # another router of the same role (the office serves the portal's API too)
                chosen.append(route)
                role_of.update({(route.path, m): role for m in methods})
    description += f"\n\nEvery operation of the {front.name} listener; each is answered by the process named in {ROLE_KEY}."
    doc = document(chosen, title, version, description)
    for path, item in doc.get("paths", {}).items():
        for method, operation in item.items():
            operation[ROLE_KEY] = role_of[(path, method)]
    return doc
