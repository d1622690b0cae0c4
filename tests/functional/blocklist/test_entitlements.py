"""Subscribers entitled to the hashed list only get 403 with a reason for every plaintext file and
200 for the hashed list; the entitlement is set by an administrator (API, command line), audited.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.functional.conftest import Cli

from mamoru.audit import AuditEvent
from mamoru.auth import roles
from mamoru.blocklist import publishing, service
from mamoru.blocklist.compiler import FORMATS
from mamoru.blocklist.settings import BlocklistSettings

FEED = "/api/v1/blocklist"
PLAINTEXT = [f for f in FORMATS if f != "hashed"]


def _publish_twice(session: Session, make_user, settings) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    a, b = make_user(roles.ANALYST), make_user(roles.SENIOR_ANALYST)
    cfg = settings.domain(BlocklistSettings)
    tag = secrets.token_hex(3)
    versions = []
    for host in (f"one-{tag}.example.test", f"two-{tag}.example.test"):
        e = service.propose(session, a, "host", host, "case")
        service.confirm(session, b, e.id)
        versions.append(publishing.publish(session, None, cfg).version)
        session.commit()
    return versions[0], versions[1]


def test_a_hashed_only_subscriber_gets_the_hashed_list_and_403_for_plaintext(
        session: Session, client, make_user, api_token, settings) -> None:  # type: ignore[no-untyped-def]
    first, second = _publish_twice(session, make_user, settings)
    admin = make_user(roles.ADMINISTRATOR)
    full, hashed = make_user(roles.SUBSCRIBER), make_user(roles.SUBSCRIBER)
    h_admin = {"Authorization": f"Bearer {api_token(admin, ['blocklist'])}"}
    h_full = {"Authorization": f"Bearer {api_token(full, ['feed'])}"}
    h_hashed = {"Authorization": f"Bearer {api_token(hashed, ['feed'])}"}

    r = client.put(f"{FEED}/subscribers/{hashed.username}", json={"entitlement": "hashed"}, headers=h_admin)
    assert r.status_code == 200 and r.json() == {"username": hashed.username, "entitlement": "hashed"}, r.text
    listed = {row["username"]: row["entitlement"] for row in client.get(f"{FEED}/subscribers", headers=h_admin).json()}
    assert listed[hashed.username] == "hashed" and listed[full.username] == "plaintext"
    ev = session.scalars(select(AuditEvent).where(AuditEvent.action == "blocklist:subscriber:set")).one()
    assert ev.actor == admin.username and ev.target == f"user:{hashed.username}" and '"previous":"plaintext"' in ev.detail

    plaintext_routes = ([f"{FEED}/snapshots/{f}" for f in PLAINTEXT] + [f"{FEED}/snapshots/{f}/signature" for f in PLAINTEXT]
                        + [f"{FEED}/snapshots/{f}?version={first}" for f in PLAINTEXT]
                        + [f"{FEED}/deltas?since={first}", f"{FEED}/deltas/{first}/{second}",
                           f"{FEED}/deltas/{first}/{second}/signature"])
    hashed_routes = [f"{FEED}/snapshots/hashed", f"{FEED}/snapshots/hashed/signature",
                     f"{FEED}/snapshots/hashed?version={first}"]
    for url in plaintext_routes:
        refused = client.get(url, headers=h_hashed)
        assert refused.status_code == 403, (url, refused.status_code)
        assert refused.headers["content-type"].startswith("application/json")
        assert "hashed list only" in refused.json()["detail"] and "snapshots/hashed" in refused.json()["detail"]
        assert client.get(url, headers=h_full).status_code == 200, url  # the other subscriber: every format
    for url in hashed_routes:
        assert client.get(url, headers=h_hashed).status_code == 200, url
        assert client.get(url, headers=h_full).status_code == 200, url
    assert client.get(f"{FEED}/snapshots/nosuch", headers=h_hashed).status_code == 404

    # back to every format
    r = client.put(f"{FEED}/subscribers/{hashed.username}", json={"entitlement": "plaintext"}, headers=h_admin)
    assert r.status_code == 200
    assert client.get(f"{FEED}/snapshots/rpz", headers=h_hashed).status_code == 200


def test_only_administrators_set_it_and_only_for_subscribers(session: Session, client, make_user,
                                                            api_token) -> None:  # type: ignore[no-untyped-def]
    senior, sub, analyst = make_user(roles.SENIOR_ANALYST), make_user(roles.SUBSCRIBER), make_user(roles.ANALYST)
    admin = make_user(roles.ADMINISTRATOR)
    h_senior = {"Authorization": f"Bearer {api_token(senior, ['blocklist'])}"}
    h_admin = {"Authorization": f"Bearer {api_token(admin, ['blocklist'])}"}
    assert client.put(f"{FEED}/subscribers/{sub.username}", json={"entitlement": "hashed"},
                      headers=h_senior).status_code == 403
    r = client.put(f"{FEED}/subscribers/{analyst.username}", json={"entitlement": "hashed"}, headers=h_admin)
    assert r.status_code == 422 and "not a blocking list subscriber" in r.text
    assert client.put(f"{FEED}/subscribers/nobody-{secrets.token_hex(2)}", json={"entitlement": "hashed"},
                      headers=h_admin).status_code == 404
    assert client.put(f"{FEED}/subscribers/{sub.username}", json={"entitlement": "everything"},
                      headers=h_admin).status_code == 422
    assert service.entitlement_of(session, sub) == "plaintext"


def test_cli_sets_and_lists_entitlements(cli: Cli) -> None:
    assert cli("user", "add", "isp1", "--role", "subscriber").exit_code == 0
    assert cli("user", "add", "isp2", "--role", "subscriber").exit_code == 0
    assert cli("user", "add", "root", "--role", "administrator").exit_code == 0
    r = cli("blocklist", "subscriber", "set", "isp2", "--hashed-only", "--as", "root")
    assert r.exit_code == 0 and "hashed list only" in r.stdout, r.output
    assert cli("blocklist", "subscriber", "list").stdout.split("\n")[:2] == ["isp1 plaintext", "isp2 hashed"]
    both = cli("blocklist", "subscriber", "set", "isp2", "--hashed-only", "--plaintext")
    assert both.exit_code == 2
    not_sub = cli("blocklist", "subscriber", "set", "root", "--hashed-only")
    assert not_sub.exit_code == 2 and "not a blocking list subscriber" in not_sub.stderr
    assert cli("blocklist", "subscriber", "set", "isp2", "--plaintext").exit_code == 0
    assert "isp2 plaintext" in cli("blocklist", "subscriber", "list").stdout
    events = cli("audit", "verify")
    assert events.exit_code == 0, events.output
