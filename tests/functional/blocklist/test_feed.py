"""A subscriber follows the feed: snapshot, three deltas, every signature checked, same list as the server."""

from __future__ import annotations

import secrets
from pathlib import Path

from sqlalchemy.orm import Session

from mamoru.auth import roles
from mamoru.blocklist import publishing, service, signing
from mamoru.blocklist.compiler import parse_json_snapshot
from mamoru.blocklist.delta import Delta, apply_delta
from mamoru.blocklist.settings import BlocklistSettings

ALL4 = list(service.CRITERIA)


def _public_key(client, tmp_path: Path):  # type: ignore[no-untyped-def]
    keys = client.get("/api/v1/blocklist/keys").json()
    assert [k["status"] for k in keys] == ["current"]
    path = tmp_path / "feed.pub"
    path.write_text(keys[0]["pem"])
    return signing.load_public_key(path)


def test_subscriber_snapshot_then_three_deltas_ends_equal(session: Session, client, make_user, api_token,
                                                          settings, tmp_path: Path) -> None:
    a, b = make_user(roles.ANALYST), make_user(roles.SENIOR_ANALYST)
    sub = make_user(roles.SUBSCRIBER)
    auth = {"Authorization": f"Bearer {api_token(sub, ['feed'])}"}
    cfg = settings.domain(BlocklistSettings)
    tag = secrets.token_hex(3)
    made: list[int] = []

    def add(kind: str, value: str) -> None:
        e = service.propose(session, a, kind, value, "case", criteria=ALL4 if kind == "domain" else ())
        service.confirm(session, b, e.id)
        made.append(e.id)

    add("domain", f"evil-{tag}.example")
    add("url", f"http://share-{tag}.example/u/1/")
    publishing.publish(session, None, cfg)
    session.commit()

    key = _public_key(client, tmp_path)
    snap = client.get("/api/v1/blocklist/snapshots/json", headers=auth)
    sig = client.get("/api/v1/blocklist/snapshots/json/signature", headers=auth)
    assert snap.status_code == 200 and sig.status_code == 200
    signing.verify(snap.content, sig.content, key)
    version, entries = parse_json_snapshot(snap.content)
    assert client.get("/api/v1/blocklist/snapshots/json", headers={**auth, "If-None-Match": snap.headers["etag"]}
                      ).status_code == 304

    for step in range(3):  # three publications, each a delta
        add("host", f"h{step}.cdn-{tag}.example")
        if step == 1:
            service.content_removed(session, b, made[1])
        publishing.publish(session, None, cfg)
        session.commit()
    since = version
    index = client.get(f"/api/v1/blocklist/deltas?since={since}", headers=auth).json()
    assert len(index["deltas"]) == 3
    for d in index["deltas"]:
        body = client.get(d["href"], headers=auth).content
        signature = client.get(d["signature_href"], headers=auth).content
        signing.verify(body, signature, key)
        version, entries = apply_delta(entries, version, Delta.from_bytes(body))
        last_body, last_sig = body, signature

    assert version == index["latest_version"] == service.current_version(session)
    assert client.get(f"/api/v1/blocklist/deltas?since={version}", headers=auth).json()["deltas"] == []
    assert client.get(f"/api/v1/blocklist/deltas?since={version + 1}", headers=auth).status_code == 404
    assert entries == service.active_entries(session)
    tampered = bytearray(last_body)
    tampered[len(tampered) // 2] ^= 0x01
    try:
        signing.verify(bytes(tampered), last_sig, key)
        raise AssertionError("a tampered delta verified")
    except signing.BadSignature:
        pass

    log = {(r.kind, r.version, r.status) for r in publishing.feed_access_log(session) if r.user_id == sub.id}
    assert ("snapshot", version - 4, 200) in log and ("snapshot", version - 4, 304) in log
    assert ("delta", version, 200) in log and ("delta.sig", version, 200) in log
    # the delta index is logged too: who asked, from which version, and the latest it named
    index_log = [(r.version, r.from_version, r.status, r.token_id is not None)
                 for r in publishing.feed_access_log(session) if r.user_id == sub.id and r.kind == "delta-index"]
    assert sorted(index_log) == [(version, since, 200, True), (version, version, 200, True)]
    staff = make_user(roles.AUDITOR)
    shown = client.get("/api/v1/blocklist/access-log",
                       headers={"Authorization": f"Bearer {api_token(staff, ['plan:read', 'blocklist'])}"})
    assert shown.status_code == 200, shown.text
    assert {"user": sub.username, "kind": "delta-index", "format": "json", "version": version,
            "from_version": since, "status": 200} in [
        {k: row[k] for k in ("user", "kind", "format", "version", "from_version", "status")} for row in shown.json()]


def test_feed_needs_a_feed_token(session: Session, client, make_user, api_token) -> None:
    platform = make_user(roles.PLATFORM)
    r = client.get("/api/v1/blocklist/snapshots/rpz",
                   headers={"Authorization": f"Bearer {api_token(platform, ['match'])}"})
    assert r.status_code == 403
    assert client.get("/api/v1/blocklist/snapshots/rpz").status_code == 401
