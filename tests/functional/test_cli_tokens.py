"""`mamoru token create|list|revoke`: the secret once on standard output, the list as CSV, revocation
at once (the API refuses the token), and exit 2 for bad usage or input."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from tests.functional.conftest import Cli
from tests.settings_support import make_settings

from mamoru.db import Database, make_engine

HEADER = "id,name,scopes,created_at,expires_at,last_used_at,revoked_at"
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@pytest.fixture
def users(cli: Cli) -> Cli:
    for name, role in (("plat", "platform"), ("ana", "analyst")):
        r = cli("user", "add", name, "--role", role)
        assert r.exit_code == 0, r.output
    return cli


def rows(cli: Cli, username: str) -> list[dict[str, str]]:
    r = cli("token", "list", username)
    assert r.exit_code == 0, r.output
    assert r.stdout_bytes.decode("utf-8").split("\n")[0] == HEADER
    assert not r.stdout_bytes.startswith(b"\xef\xbb\xbf")  # no BOM
    return list(csv.DictReader(io.StringIO(r.stdout)))


def api_status(cli: Cli, tmp_path: Path, secret: str) -> int:
    url = cli.env["MAMORU_DATABASE_URL"]
    settings = make_settings(tmp_path / "web", {"MAMORU_DATABASE_URL": url,
                                                "MAMORU_AUDIT_KEY": cli.env["MAMORU_AUDIT_KEY"]})
    database = Database.from_url(url)
    from mamoru.web.app import create_app

    try:
        with TestClient(create_app(settings, database)) as client:
            return client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code
    finally:
        database.engine.dispose()


def test_create_prints_the_secret_alone_on_stdout_with_an_expiry(users: Cli) -> None:
    r = users("token", "create", "plat", "--scopes", "match", "--name", "upload checker", "--expires-in-days", "30")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("mmr_")
    assert lines[0] not in r.stderr and "not shown again" in r.stderr and "expires" in r.stderr
    [row] = rows(users, "plat")
    assert row["name"] == "upload checker" and row["scopes"] == "match"
    assert ISO_UTC.match(row["created_at"]) and ISO_UTC.match(row["expires_at"])
    created = datetime.fromisoformat(row["created_at"])
    expires = datetime.fromisoformat(row["expires_at"])
    assert created.tzinfo == UTC and abs(expires - created - timedelta(days=30)) < timedelta(seconds=5)
    assert row["last_used_at"] == "" and row["revoked_at"] == ""
    assert lines[0] not in users("token", "list", "plat").stdout  # the secret is never listed


def test_list_writes_every_token_with_scopes_separated_by_spaces(users: Cli) -> None:
    assert users("token", "create", "ana", "--scopes", "plan:read,flagger", "--name", "intake").exit_code == 0
    assert users("token", "create", "ana", "--scopes", "blocklist").exit_code == 0  # default name, no expiry
    got = rows(users, "ana")
    assert [(r["name"], r["scopes"], r["expires_at"]) for r in got] == [("intake", "flagger plan:read", ""),
                                                                        ("cli", "blocklist", "")]
    assert int(got[0]["id"]) < int(got[1]["id"])
    assert rows(users, "plat") == []


def test_revoke_refuses_the_token_at_once_and_lists_the_time(users: Cli, tmp_path: Path) -> None:
    secret = users("token", "create", "plat", "--scopes", "match").stdout.strip()
    assert api_status(users, tmp_path, secret) == 200
    [row] = rows(users, "plat")
    assert ISO_UTC.match(row["last_used_at"])  # the API call recorded the use
    r = users("token", "revoke", row["id"])
    assert r.exit_code == 0, r.output
    assert r.stdout == "" and "revoked" in r.stderr
    [after] = rows(users, "plat")
    assert ISO_UTC.match(after["revoked_at"])
    assert api_status(users, tmp_path, secret) == 401
    again = users("token", "revoke", row["id"])  # revoking twice changes nothing
    assert again.exit_code == 0 and "already revoked" in again.stderr
    assert rows(users, "plat")[0]["revoked_at"] == after["revoked_at"]
    engine = make_engine(users.env["MAMORU_DATABASE_URL"])
    with engine.connect() as c:
        actions = [a for (a,) in c.execute(text("SELECT action FROM audit_events WHERE action LIKE 'token:%' "
                                                "ORDER BY seq"))]
    engine.dispose()
    assert actions == ["token:create", "token:revoke"]


def test_revoke_of_an_unknown_id_exits_2_with_a_message(users: Cli) -> None:
    r = users("token", "revoke", "424242")
    assert r.exit_code == 2 and "424242" in r.stderr and r.stdout == ""
    assert users("token", "revoke", "first").exit_code == 2
    for huge in ("2147483648", str(2**63)):  # beyond the id column's range (PostgreSQL: integer): no traceback
        r = users("token", "revoke", huge)
        assert r.exit_code == 2 and "Traceback" not in r.stderr + r.stdout, r.stderr
        assert "out of the range" in r.stderr or f"no API token {huge}" in r.stderr, r.stderr


@pytest.mark.parametrize("args", [
    ["nobody", "--scopes", "match"],  # unknown user
    ["plat", "--scopes", "teleport"],  # unknown scope
    ["plat", "--scopes", "plan:write"],  # a scope the platform role may not hold
    ["plat", "--scopes", ","],  # no scope at all
    ["plat", "--scopes", "match", "--expires-in-days", "0"],
    ["plat", "--scopes", "match", "--expires-in-days", "-3"],
    ["plat", "--scopes", "match", "--expires-in-days", "soon"],
    ["plat", "--scopes", "match", "--expires-in-days", "3651"],
])
def test_bad_input_exits_2_and_creates_nothing(users: Cli, args: list[str]) -> None:
    r = users("token", "create", *args)
    assert r.exit_code == 2, r.output
    assert r.stdout == ""
    assert rows(users, "plat") == []


def test_list_for_an_unknown_user_exits_2(users: Cli) -> None:
    r = users("token", "list", "nobody")
    assert r.exit_code == 2 and "nobody" in r.stderr and r.stdout == ""
