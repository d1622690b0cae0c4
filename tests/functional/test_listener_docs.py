"""Each listener's API documentation describes every operation reachable on it, whichever process
answers: the portal's docs page reads the public listener's document (the matcher's /api/v1/match,
the feed's files, the portal's API), the office's the staff listener's (the hotline's cases, banks
and blocking list, the feed's access log); each process's own /api/v1/openapi.json stays its own
operations (what it serves when addressed directly, what Schemathesis checks per process).
tests/e2e/test_production_layout.py checks the same through nginx."""

from __future__ import annotations

import dataclasses

from fastapi.testclient import TestClient

from mamoru.web import fronts
from mamoru.web.app import create_app, routers_for_role
from mamoru.web.openapi import ROLE_KEY, listener_document


def _client(settings, database, role: str) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(create_app(dataclasses.replace(settings, role=role), database))


def _roles(doc: dict) -> dict[tuple[str, str], str]:  # type: ignore[type-arg]
    return {(m.upper(), p): op[ROLE_KEY] for p, item in doc["paths"].items() for m, op in item.items()}


def test_the_public_docs_describe_the_matcher_feed_and_portal(settings, database) -> None:  # type: ignore[no-untyped-def]
    with _client(settings, database, "portal") as c:
        page = c.get("/api/v1/docs")
        assert 'data-openapi="/api/v1/docs/openapi.json"' in page.text
        public = _roles(c.get("/api/v1/docs/openapi.json").json())
        own = c.get("/api/v1/openapi.json").json()["paths"]
    assert public[("POST", "/api/v1/match")] == "matcher"
    assert public[("GET", "/api/v1/blocklist/snapshots/{fmt}")] == "feed"
    assert public[("GET", "/api/v1/blocklist/keys")] == "feed"
    assert public[("GET", "/api/v1/plans")] == "portal"
    assert ("GET", "/api/v1/blocklist/access-log") not in public  # the feed's, on the staff listener only
    assert {method for (method, _), role in public.items() if role == "portal"} == {"GET"}  # read-only
    assert "/api/v1/match" not in own and "/api/v1/plans" in own


def test_the_staff_docs_describe_the_office_hotline_and_feeds_access_log(settings, database) -> None:  # type: ignore[no-untyped-def]
    with _client(settings, database, "office") as c:
        staff = _roles(c.get("/api/v1/docs/openapi.json").json())
        own = c.get("/api/v1/openapi.json").json()["paths"]
    assert staff[("GET", "/api/v1/hotline/queue")] == "hotline"
    assert staff[("POST", "/api/v1/banks/{name}/import")] == "hotline"
    assert staff[("POST", "/api/v1/blocklist/entries")] == "hotline"
    assert staff[("GET", "/api/v1/blocklist/access-log")] == "feed"
    assert staff[("PATCH", "/api/v1/users/{username}")] == "office"
    assert ("POST", "/api/v1/match") not in staff
    assert "/api/v1/hotline/queue" not in own


def test_every_operation_a_listener_sends_to_a_role_is_documented_there() -> None:
    """No operation falls between the listeners' tables: each served API operation of a production
    role is in the document of some listener (or is health, which each listener's portal or office
    answers)."""
    documented: set[tuple[str, str]] = set()
    for front in fronts.FRONTS:
        doc = listener_document(front, routers_for_role, "t", "1", "d")
        documented |= {(m.upper(), p) for p, item in doc["paths"].items() for m in item}
    served = {(m, r.path) for role in ("portal", "office", "hotline", "intake", "matcher", "feed")
              for router in routers_for_role(role) for r in router.routes
              if getattr(r, "include_in_schema", False) and r.path.startswith("/api/")
              for m in getattr(r, "methods", ()) if m != "HEAD"}
    assert served - documented == set()


def test_a_process_of_no_listeners_docs_documents_its_own_operations(settings, database) -> None:  # type: ignore[no-untyped-def]
    with _client(settings, database, "all") as c:
        assert c.get("/api/v1/docs/openapi.json").json() == c.get("/api/v1/openapi.json").json()
