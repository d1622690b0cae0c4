"""Hostile numbers and nulls at the doors: 4xx, never 500.

Every route of the route table with an integer path or query parameter is called with 2**63 and
2**64 (beyond SQLite's and PostgreSQL's 64-bit integers) by a caller the route admits: the answer
is 404 or 422. A `null` for a field the API declares as a string that may be left out (not as
nullable) is 422, not a NOT NULL violation.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from tests.conftest import login
from tests.security import test_authorization_matrix as matrix
from tests.security.routes import flat_routes

from mamoru.auth import roles as R

world = matrix.world
HUGE = (2**63, 2**64)


def _int_params(route: Any) -> tuple[set[str], set[str]]:
    """The route's integer path and query parameters (optional ones included)."""
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return set(), set()

    def ints(fields: list[Any]) -> set[str]:
        return {f.name for f in fields if f.field_info.annotation in (int, int | None)}

    return ints(dependant.path_params), ints(dependant.query_params)


def _caller(method: str, path: str) -> str:
    rule = matrix.rule_for(method, path) or frozenset()
    allowed = sorted(r for r in rule if r != matrix.ANON)
    if f"{method} {path}" in matrix.TOKEN_ONLY:
        allowed = [r for r in allowed if r == R.PLATFORM] or allowed
    return allowed[0] if allowed else matrix.ANON


def test_ids_beyond_64_bits_are_404_or_422_on_every_route(world: dict[str, Any]) -> None:
    routes = [(m, p, r) for m, p, r in flat_routes(world["app"]) if any(_int_params(r))]
    assert len(routes) >= 40, [p for _, p, _ in routes]  # the walk covers the id routes, not an empty list
    wrong: list[str] = []
    clients: dict[str, tuple[TestClient, str]] = {}
    try:
        for method, path, route in sorted(routes, key=lambda x: (x[0], x[1]) in matrix.SKIP_PROBE):
            role = _caller(method, path)
            api = matrix.is_api(path)
            key = f"{role}:{'api' if api else 'page'}"
            if key not in clients:
                c = TestClient(world["app"], raise_server_exceptions=False)
                c.__enter__()
                csrf = (matrix.anonymous_csrf(c) if role == matrix.ANON or api
                        else login(c, world["users"][role].username))
                clients[key] = (c, csrf)
            client, csrf = clients[key]
            headers = {"accept": "application/json" if api else "text/html"}
            if api and role != matrix.ANON:
                headers["authorization"] = f"Bearer {world['tokens'][role]}"
            if method != "GET":
                headers["x-csrf-token"] = csrf
            in_path, in_query = _int_params(route)
            for huge in HUGE:
                params = dict(world["params"], **{name: str(huge) for name in in_path})
                url = re.sub(r"\{(\w+)\}", lambda m, p=params: p.get(m.group(1), "1"), path)  # type: ignore[misc]
                query = {name: str(huge) for name in in_query}
                r = client.request(method, url, params=query, headers=headers,
                                   json=matrix.BODIES.get(path), follow_redirects=False)
                # a huge value in a query filter alone may find nothing (200); an id in the path may not
                if r.status_code not in (404, 422) and not (r.status_code == 200 and not in_path):
                    wrong.append(f"{method} {path} as {role} with {huge}: {r.status_code} {r.text[:120]!r}")
    finally:
        for c, _ in clients.values():
            c.__exit__(None, None, None)
    assert wrong == [], "\n".join(wrong)


INDICATOR_NOT_NULL = ["note_en", "note_ja", "title_en", "title_ja", "unit_en", "unit_ja", "source_en", "source_ja",
                      "direction", "period_type", "pillars", "measures", "breakdown"]


def test_null_for_a_field_that_is_not_nullable_is_422(world: dict[str, Any]) -> None:
    """PUT of an indicator: a field left out keeps its value, a null is refused (the columns are
    NOT NULL: this was a 500). PATCH of an agency or a measure: null means "left as it is"."""
    headers = {"authorization": f"Bearer {world['tokens'][R.COORDINATOR]}"}
    with TestClient(world["app"], raise_server_exceptions=False) as client:
        r = client.put("/api/v1/followup/indicators/null-probe", json={"title_en": "Probe"}, headers=headers)
        assert r.status_code == 200, r.text
        for field in INDICATOR_NOT_NULL:
            r = client.put("/api/v1/followup/indicators/null-probe", json={field: None}, headers=headers)
            assert r.status_code == 422 and field in r.text, (field, r.text)
        assert client.get("/api/v1/followup/indicators/null-probe", headers=headers).json()["title_en"] == "Probe"
        for field in ("name_en", "note_en", "note_ja", "valid_from"):
            r = client.patch("/api/v1/agencies/NPA", json={field: None}, headers=headers)
            assert r.status_code in (200, 422), (field, r.text)
        for field in ("title_en", "description_ja", "code", "origin", "main"):
            r = client.patch(f"/api/v1/measures/{world['params']['uid']}", json={"reason": "probe", field: None},
                             headers=headers)
            assert r.status_code in (200, 422), (field, r.text)
