"""Schemathesis against /api/v1/openapi.json: every operation, as every identity, answers without
a 5xx and as its schema says.

The identities (IDENTITIES): anonymous; each role by API token holding every scope the role may
hold; each role by browser session (the session cookie, and the session's CSRF token in
X-CSRF-Token, as the pages send it). The document is the one `make run` serves (process role
`all`: every router). One test per identity, so pytest-xdist spreads them over the workers.
`test_every_operation_of_each_process_role_as_every_identity` checks each process role's own app and
document (portal, intake, matcher, feed; office and hotline too in the long run) as every identity.

CI runs EXAMPLES derandomized example per operation (17 identities x 141 operations), on one
backend: PostgreSQL where MAMORU_TEST_POSTGRES_URL is set (production's, and CI always sets it),
else SQLite; about 2 minutes of worker time. MAMORU_SCHEMATHESIS_SECONDS=N runs each identity for
about N seconds more: rounds of LONG_EXAMPLES examples per operation with seeds
MAMORU_SCHEMATHESIS_SEED (0 unless set), +1, +2, ... until the time is up; it prints the requests
made and the seeds (docs/security.md, "Schemathesis, long run").

Failures found in other teams' operations are listed in KNOWN with what fails; they were reported to
their owners. A failure not listed fails the test; a listed one that no longer fails is reported too,
so the list stays true.
"""

from __future__ import annotations

import copy
import os
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, seed, settings
from schemathesis import checks
from tests.conftest import BACKENDS, login

from mamoru.auth import roles as R
from mamoru.web.deps import SESSION_COOKIE

ANON = "anonymous"
IDENTITIES = [ANON, *(f"token-{r}" for r in R.ALL_ROLES), *(f"session-{r}" for r in R.ALL_ROLES)]
# Every response an identity gets must have a documented status (each operation documents its
# successes, 422 and the 4XX refusals) and match the schema documented for it.
CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.response_schema_conformance,
          checks.content_type_conformance]
EXAMPLES = 1
LONG_EXAMPLES = 10
LONG_SECONDS = float(os.environ.get("MAMORU_SCHEMATHESIS_SECONDS") or 0)
BASE_SEED = int(os.environ.get("MAMORU_SCHEMATHESIS_SEED") or 0)

# "METHOD path": (backends where it fails, what fails). Reported to the owners.
KNOWN: dict[str, tuple[set[str], str]] = {}


@dataclass
class Identity:
    """How one identity's requests are sent: headers and cookies added to every generated case."""

    name: str
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    token_id: int | None = None


def make_identity(name: str, app: Any, session: Any, make_user: Any, api_token: Any) -> Identity:
    if name == ANON:
        return Identity(name)
    way, role = name.split("-")
    user = make_user(role, agency="NPA" if role == R.AGENCY_OFFICER else None)
    if way == "token":
        secret = api_token(user, sorted(R.ROLE_SCOPES.get(role, ())))
        from sqlalchemy import select

        from mamoru.auth.models import ApiToken

        own = session.scalars(select(ApiToken.id).where(ApiToken.user_id == user.id)).one()
        return Identity(name, {"Authorization": f"Bearer {secret}"}, token_id=own)
    with TestClient(app) as client:
        csrf = login(client, user.username)
        cookie = client.cookies.get(SESSION_COOKIE)
    assert cookie
    return Identity(name, {"X-CSRF-Token": csrf}, {SESSION_COOKIE: cookie})


def check_operation(op: Any, who: Identity, failures: dict[str, str], examples: int, seed_value: int | None) -> int:
    """Run `examples` generated cases of `op` as `who`; a failure is kept in `failures` under
    "METHOD path". Returns how many requests were made."""
    key = f"{op.method.upper()} {op.path}"
    made = [0]

    @settings(max_examples=examples, deadline=None, database=None, derandomize=seed_value is None,
              suppress_health_check=list(HealthCheck))
    @given(case=op.as_strategy().filter(lambda c: not own_token(c, who)))
    def run(case: Any) -> None:
        made[0] += 1
        response = case.call(headers=dict(who.headers), cookies=dict(who.cookies))
        assert response.status_code < 500, (
            f"as {who.name}: {case.method} {case.formatted_path} {case.query or ''} {str(case.body)[:200]} -> "
            f"{response.status_code}: {response.text[:200]}")
        case.validate_response(response, checks=CHECKS)

    if seed_value is not None:
        run = seed(seed_value)(run)
    try:
        run()
    except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collected and compared with KNOWN below
        failures.setdefault(key, f"{type(exc).__name__}: {str(exc)[:600]}")
    return made[0]


def own_token(case: Any, who: Identity) -> bool:
    """Whether `case` names the identity's own token (revoking it would leave the rest of the run
    testing only the 401; revoking one's own token is tested in tests/functional/test_tokens_web.py)."""
    return who.token_id is not None and str((case.path_parameters or {}).get("token_id")) == str(who.token_id)


def still_signed_in(app: Any, who: Identity) -> bool:
    """Whether the identity is still itself after the run (a generated request may revoke a token:
    the rest of the run would then only have tested the 401)."""
    if who.name == ANON:
        return True
    with TestClient(app) as client:
        r = client.get("/api/v1/me", headers=who.headers, cookies=who.cookies)
    return r.status_code == 200


_DOCUMENT: dict[str, Any] = {}


def served_schema(app: Any) -> Any:
    """The app's OpenAPI document as Schemathesis reads it, calling `app`. The document of a process
    role `all` app is the same in every test of a worker: built once (about a second), then copied."""
    if not _DOCUMENT:
        with TestClient(app) as client:
            _DOCUMENT.update(client.get("/api/v1/openapi.json").json())
    schema = schemathesis.openapi.from_dict(copy.deepcopy(_DOCUMENT))
    schema.app = app
    return schema


@pytest.mark.parametrize("migrated_engine", BACKENDS[-1:], indirect=True)
@pytest.mark.parametrize("identity", IDENTITIES)
def test_every_operation_as(identity: str, loaded: Any, database: Any, app: Any, make_user: Any,
                            api_token: Any) -> None:
    backend = database.engine.dialect.name
    who = make_identity(identity, app, loaded, make_user, api_token)
    schema = served_schema(app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 100
    failures: dict[str, str] = {}
    started = time.monotonic()
    made = sum(check_operation(op, who, failures, EXAMPLES, None) for op in operations)
    rounds = 0
    while LONG_SECONDS and time.monotonic() - started < LONG_SECONDS:
        made += sum(check_operation(op, who, failures, LONG_EXAMPLES, BASE_SEED + rounds) for op in operations)
        rounds += 1
    print(f"{identity} on {backend}: {len(operations)} operations, {made} requests, {rounds} seeded rounds "
          f"(seeds {BASE_SEED}..{BASE_SEED + rounds - 1}), {time.monotonic() - started:.0f} s, "
          f"{len(failures)} failing operations")
    assert still_signed_in(app, who), f"{identity} was signed out or revoked during the run"
    known = {k for k, (backends, _) in KNOWN.items() if backend in backends}
    new = {k: v for k, v in failures.items() if k not in known}
    fixed = sorted(k for k in known if k not in failures) if not LONG_SECONDS else []
    assert not new and not fixed, "\n\n".join([*(f"{k}\n  {v}" for k, v in sorted(new.items())),
                                              *(f"{k}: no longer fails, remove from KNOWN" for k in fixed)])


SMALL_PROCESS_ROLES = ["portal", "intake", "matcher", "feed"]
PROCESS_ROLES = SMALL_PROCESS_ROLES + (["office", "hotline"] if LONG_SECONDS else [])
"""Process roles whose own app and document are checked as every identity, one derandomized example
per operation. Office and hotline serve subsets of the `all` document through the same code (141
operations more per identity), so CI leaves them to the `all` test; the long run checks them too."""


def role_app(role: str, settings: Any, database: Any, tmp_path: Any) -> Any:
    import dataclasses

    from mamoru.hotline.contact_keys import ContactCipher
    from mamoru.web.app import create_app

    if role == "intake":  # the intake starts only with the hotline's public contact key
        from tests.settings_support import make_settings

        (tmp_path / "keys").mkdir(exist_ok=True)
        (tmp_path / "keys" / "contact.pub").write_text(ContactCipher.generate().public_line() + "\n")
        return create_app(make_settings(tmp_path, {"MAMORU_ROLE": "intake"}), database)
    return create_app(dataclasses.replace(settings, role=role), database)


@pytest.mark.parametrize("migrated_engine", BACKENDS[-1:], indirect=True)
def test_every_operation_of_each_process_role_as_every_identity(loaded: Any, database: Any, app: Any, settings: Any,
                                                               make_user: Any, api_token: Any, tmp_path: Any) -> None:
    """Each process's own document (`mamoru serve` with MAMORU_ROLE), as every identity: the portal
    only reads, the matcher and feed take tokens only (a session signed in on a process that serves
    the sign-in page is ignored there), the intake serves the form and health. One test: the
    identities (argon2-hashed users, sign-ins) are made once for all the processes."""
    people = [make_identity(identity, app, loaded, make_user, api_token) for identity in IDENTITIES]
    failures: dict[str, str] = {}
    for process in PROCESS_ROLES:
        served = role_app(process, settings, database, tmp_path)
        with TestClient(served) as client:
            schema = schemathesis.openapi.from_dict(client.get("/api/v1/openapi.json").json())
        schema.app = served
        operations = [result.ok() for result in schema.get_all_operations()]
        assert operations, process
        found: dict[str, str] = {}
        for who in people:
            for op in operations:
                check_operation(op, who, found, EXAMPLES, None)
        failures.update({f"{process}: {k}": v for k, v in found.items()})
        print(f"process {process}: {len(operations)} operations x {len(people)} identities")
    assert all(still_signed_in(app, who) for who in people)
    assert not failures, "\n\n".join(f"{k}\n  {v}" for k, v in sorted(failures.items()))


def test_a_service_422_matches_the_documented_schema(app: Any, make_user: Any, api_token: Any) -> None:
    """A service's InvalidInput answers the `Error` body the document promises for 422 (once it promised
    FastAPI's HTTPValidationError, which mamoru never sends)."""
    from fastapi.testclient import TestClient

    admin = make_user(R.ADMINISTRATOR)
    with TestClient(app) as client:
        r = client.post("/api/v1/users", json={"username": "x-user", "role": "nobody", "password": "long-enough-pass-1"},
                        headers={"Authorization": f"Bearer {api_token(admin, ['users:write'])}"})
        doc = client.get("/api/v1/openapi.json").json()
    assert r.status_code == 422
    body = r.json()
    assert isinstance(body["detail"], str) and body["detail"]
    assert all({"row", "field", "reason"} <= set(p) for p in body.get("problems", []))
    documented = doc["paths"]["/api/v1/users"]["post"]["responses"]["422"]["content"]["application/json"]["schema"]
    assert documented == {"$ref": "#/components/schemas/Error"}
    assert "HTTPValidationError" not in doc["components"]["schemas"]


def test_a_huge_id_is_not_a_server_error(database: Any, app: Any, make_user: Any, api_token: Any) -> None:
    from fastapi.testclient import TestClient

    if database.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite integers are 64-bit")
    user = make_user(R.COORDINATOR)
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/api/v1/followup/rounds/2147483648",
                       headers={"Authorization": f"Bearer {api_token(user, ['plan:read'])}"})
    assert r.status_code < 500


