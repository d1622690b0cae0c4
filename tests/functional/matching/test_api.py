"""POST /api/v1/match: platforms' banks, labels, the distance cap, limits, counters, no uploads."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.factories.matching import hexes, near, two_banks
from tests.settings_support import make_settings

from mamoru.audit import AuditEvent
from mamoru.auth import roles
from mamoru.db import Database
from mamoru.matching.models import MatchCount, QueryCount
from mamoru.matching.service import choose_banks, import_file


@pytest.fixture()
def world(session: Session) -> dict[str, Any]:
    return two_banks(session, chosen="shared", other="other", seeds=(31, 32), n=5, label="A1", show_labels=False)


def post(client: Any, token: str, **body: Any) -> Any:
    return client.post("/api/v1/match", json=body, headers={"Authorization": f"Bearer {token}"})


def test_platform_matches_only_its_banks_without_labels(client: Any, world: dict[str, Any]) -> None:
    q = [near(world["shared"][0], 12), world["other"][0], hexes(1, 33)[0]]
    r = post(client, world["token"], hashes=q)
    assert r.status_code == 200, r.text
    body = r.json()
    first, second, third = body["results"]
    assert [(m["bank"], m["distance"]) for m in first["matches"]] == [(f"shared-{world['tag']}", 12)]
    assert "category" not in first["matches"][0]
    assert second["matches"] == [] and third["matches"] == []
    assert set(body["answered_by"]) == {"snapshot_version", "overlay_version", "overlay_added",
                                        "overlay_disabled"}


def test_labels_when_the_choice_allows(client: Any, session: Session, world: dict[str, Any]) -> None:
    choose_banks(session, world["platform"], [f"shared-{world['tag']}"], show_labels=True, actor=None)
    session.commit()
    r = post(client, world["token"], hashes=[world["shared"][1]])
    assert r.json()["results"][0]["matches"][0]["category"] == "A1"


def test_refusals(client: Any, world: dict[str, Any], make_user: Callable[..., Any],
                  api_token: Callable[..., str]) -> None:
    assert post(client, world["token"], hashes=[world["shared"][0]], distance=40).status_code == 403
    assert post(client, world["token"], hashes=["00" * 32] * 1001).status_code == 422
    bad = post(client, world["token"], hashes=[world["shared"][0], "zz"])
    assert bad.status_code == 422 and "row 2" in bad.text
    lone = post(client, world["token"], hashes=[world["shared"][0]], dihedral=True)
    assert lone.status_code == 422 and "8 PDQ hashes" in lone.text  # a bare hash has no rotations
    files = {"file": ("a.png", b"\x89PNG....", "image/png")}
    upload = client.post("/api/v1/match", files=files, headers={"Authorization": f"Bearer {world['token']}"})
    assert upload.status_code == 415 and "takes no files" in upload.json()["detail"] and "URL" not in upload.json()["detail"]  # refused unread: no image upload
    assert client.post("/api/v1/match", json={"hashes": [world["shared"][0]]}).status_code in (401, 403)


@pytest.mark.parametrize("extra", [{"image": "iVBORw0KGgo="}, {"file": "a.png"}, {"colour": "blue"}])
def test_an_unknown_field_is_refused_saying_mamoru_takes_hashes_only(client: Any, world: dict[str, Any],
                                                                    extra: dict[str, str]) -> None:
    """An image (or anything else) beside the hashes is a 422, never silently ignored, on both routes."""
    headers = {"Authorization": f"Bearer {world['token']}"}
    for path, body in (("/api/v1/match", {"hashes": [world["shared"][0]]}),
                       ("/api/v1/match/reports", {"url": "http://match.example.test/", "hashes": [world["shared"][0]]})):
        r = client.post(path, json={**body, **extra}, headers=headers)
        assert r.status_code == 422, (path, r.text)
        reasons = " ".join(p["reason"] for p in r.json()["problems"])
        assert "mamoru takes hashes only" in reasons and next(iter(extra)) in reasons


def test_counts_are_all_that_queries_leave(client: Any, session: Session, world: dict[str, Any]) -> None:
    post(client, world["token"], hashes=[world["shared"][2], hexes(1, 34)[0]])
    post(client, world["token"], hashes=[hexes(1, 35)[0]])
    qc = session.scalars(select(QueryCount).where(QueryCount.user_id == world["platform"].id)).one()
    assert (qc.queries, qc.matched) == (3, 1)
    mc = session.scalars(select(MatchCount).where(MatchCount.user_id == world["platform"].id)).all()
    assert [m.matches for m in mc] == [1]


def test_rate_limit(database: Database, tmp_path: Path, world: dict[str, Any]) -> None:
    from fastapi.testclient import TestClient

    from mamoru.web.app import create_app

    settings = make_settings(tmp_path, {"MAMORU_MATCH_RATE": "2/60"})
    with TestClient(create_app(settings, database)) as c:
        codes = [post(c, world["token"], hashes=[world["shared"][0]]).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_rate_limit_is_shared_by_processes_through_redis(database: Database, session: Session,
                                                         tmp_path: Path, world: dict[str, Any]) -> None:
    """Two matcher apps (as two processes would be) count one token together; with Redis down,
    requests are refused (503) rather than served unlimited."""
    import os
    import socket
    import time

    from fastapi.testclient import TestClient

    from mamoru.auth.models import ApiToken
    from mamoru.ratelimit import RedisRateLimiter
    from mamoru.web.app import create_app

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        if os.environ.get("CI"):
            pytest.fail("no Redis server on 127.0.0.1:6379 (.ci/run should have started one)")
        pytest.skip("no Redis server on 127.0.0.1:6379")

    def app(url: str) -> Any:
        return create_app(make_settings(tmp_path, {"MAMORU_MATCH_RATE": "3/3600", "MAMORU_MATCH_REDIS_URL": url}),
                          database)

    # Earlier runs (same token id, same hour) must not count: clear this token's keys first.
    token_id = session.scalars(select(ApiToken.id).where(ApiToken.user_id == world["platform"].id)).one()
    # A Redis database per backend, should the SQLite and PostgreSQL runs overlap (xdist).
    db = {"sqlite": 5, "postgresql": 6}.get(database.engine.dialect.name, 7)
    url = f"redis://127.0.0.1:6379/{db}"
    window = int(time.time() // 3600)
    with socket.create_connection(("127.0.0.1", 6379), timeout=2) as sock:
        RedisRateLimiter._command(sock, "SELECT", str(db))
        for w in (window, window + 1):
            RedisRateLimiter._command(sock, "DEL", f"mamoru:match:rate:token:{token_id}:{w}")
    with TestClient(app(url)) as a, TestClient(app(url)) as b:
        codes = [post(c, world["token"], hashes=[world["shared"][0]]).status_code for c in (a, b, a, b)]
    assert codes == [200, 200, 200, 429]
    with TestClient(app("redis://127.0.0.1:1/0")) as down:
        r = post(down, world["token"], hashes=[world["shared"][0]])
    assert r.status_code == 503 and "rate limiter" in r.text


def test_matcher_process_role_serves_the_match_api(database: Database, tmp_path: Path,
                                                   world: dict[str, Any]) -> None:
    from fastapi.testclient import TestClient

    from mamoru.web.app import create_app

    settings = make_settings(tmp_path, role="matcher")
    app = create_app(settings, database)
    with TestClient(app) as c:
        # the snapshot was opened at start, before the first request (web/matching/api.py ready_before_serving)
        runtime = app.state.matching_runtime
        assert runtime is not None and runtime._matcher is not None
        assert post(c, world["token"], hashes=[world["shared"][0]]).status_code == 200
        assert c.get("/login").status_code == 404


def test_banks_page_for_hotline_staff_only(client: Any, world: dict[str, Any],
                                           make_user: Callable[..., Any], login_as: Any) -> None:
    login_as(make_user(roles.ANALYST))
    page = client.get("/matching?lang=en")
    assert page.status_code == 200 and f"shared-{world['tag']}" in page.text
    login_as(world["platform"])
    assert client.get("/matching").status_code == 403


def test_dihedral_matching_finds_a_rotated_copy(client: Any, session: Session, world: dict[str, Any]) -> None:
    """The bank holds the reference bridge photo's hash (tests/data/conformance/pdq, benign); the
    platform holds a copy flipped about the diagonal, hashes it with `mamoru hash --dihedral`'s
    eight variants and matches the original, naming the variant."""
    from tests.conftest import DATA

    from mamoru.matching.hashing import (
        DIHEDRAL_NAMES,
        hamming_distance,
        hash_file,
        image_pixels,
        open_image,
        pdq_dihedral,
    )

    folder = DATA / "conformance" / "pdq" / "images" / "dih"
    original = hash_file(folder / "bridge-1-original.jpg").pdq
    tag = world["tag"]
    import_file(session, f"shared-{tag}", f"hash,category\n{original},B2\n".encode(), "csv", "pdq", None)
    session.commit()
    copy = (folder / "bridge-8-flip-minus-1.jpg").read_bytes()
    variants, _ = pdq_dihedral(image_pixels(open_image(copy)))
    assert hamming_distance(variants[0], original) > 31  # the copy as it is does not match
    plain = post(client, world["token"], hashes=[variants[0]])
    assert plain.json()["results"][0]["matches"] == []
    r = post(client, world["token"], hashes=[",".join(variants), ",".join(hexes(8, 77))], dihedral=True)
    assert r.status_code == 200, r.text
    first, second = r.json()["results"]
    assert len(first["matches"]) == 1
    match = first["matches"][0]
    assert match["bank"] == f"shared-{tag}" and match["distance"] <= 31
    assert match["variant"] in DIHEDRAL_NAMES and match["variant"] != "original"
    assert second["matches"] == []
    bad = post(client, world["token"], hashes=[",".join([*variants[:7], "zz"])], dihedral=True)
    assert bad.status_code == 422 and "flipminus1" in bad.text and "row 1" in bad.text
    many = post(client, world["token"], hashes=[",".join(variants)] * 126, dihedral=True)
    assert many.status_code == 422 and "125 images" in many.text


def test_a_platform_chooses_among_the_banks_offered_to_it(client: Any, session: Session,
                                                          world: dict[str, Any]) -> None:
    tag, token = world["tag"], world["token"]
    auth = {"Authorization": f"Bearer {token}"}
    # The administrator offers both banks; the platform has matched against the first until now.
    choose_banks(session, world["platform"], [f"shared-{tag}", f"other-{tag}"], show_labels=False, actor=None)
    session.commit()
    listed = client.get("/api/v1/match/banks", headers=auth).json()
    assert [(b["bank"], b["selected"]) for b in listed] == [(f"other-{tag}", True), (f"shared-{tag}", True)]

    r = client.put("/api/v1/match/banks", json={"banks": [f"other-{tag}"]}, headers=auth)
    assert r.status_code == 200, r.text
    assert [(b["bank"], b["selected"]) for b in r.json()] == [(f"other-{tag}", True), (f"shared-{tag}", False)]
    found = post(client, token, hashes=[world["shared"][0], world["other"][0]]).json()["results"]
    assert found[0]["matches"] == [] and [m["bank"] for m in found[1]["matches"]] == [f"other-{tag}"]

    refused = client.put("/api/v1/match/banks", json={"banks": ["not-offered", f"shared-{tag}"]}, headers=auth)
    assert refused.status_code == 422 and "not-offered" in refused.text
    assert [b["selected"] for b in client.get("/api/v1/match/banks", headers=auth).json()] == [True, False]
    # Offering again keeps the platform's own choice; an empty choice matches nothing.
    choose_banks(session, world["platform"], [f"shared-{tag}", f"other-{tag}"], show_labels=True, actor=None)
    session.commit()
    assert [b["selected"] for b in client.get("/api/v1/match/banks", headers=auth).json()] == [True, False]
    assert client.put("/api/v1/match/banks", json={"banks": []}, headers=auth).status_code == 200
    assert all(r["matches"] == [] for r in post(client, token, hashes=[world["other"][0]]).json()["results"])
    events = session.scalars(select(AuditEvent.action).where(AuditEvent.action == "match:platform:select")).all()
    assert len(events) == 2


def test_counts_are_collected_and_written_at_shutdown(database: Database, session: Session, tmp_path: Path,
                                                       world: dict[str, Any]) -> None:
    """With MAMORU_MATCH_COUNT_SECONDS the counters wait in memory (no request holds the counter row)
    and are written every so often, and when the process stops."""
    from fastapi.testclient import TestClient

    from mamoru.web.app import create_app

    settings = make_settings(tmp_path, {"MAMORU_MATCH_COUNT_SECONDS": "3600"})
    mine = select(QueryCount).where(QueryCount.user_id == world["platform"].id)
    with TestClient(create_app(settings, database)) as c:
        for _ in range(4):
            assert post(c, world["token"], hashes=[world["shared"][0], hexes(1, 36)[0]]).status_code == 200
        assert session.scalars(mine).first() is None  # not written yet: collected in memory
        assert c.app.state.matching_counts.pending() == 8  # type: ignore[attr-defined]
    session.expire_all()
    qc = session.scalars(mine).one()
    assert (qc.queries, qc.matched) == (8, 4)
    assert [m.matches for m in session.scalars(select(MatchCount).where(MatchCount.user_id == world["platform"].id))] == [4]


def test_a_match_request_looks_its_token_up_once_and_loads_the_owner_with_it(client: Any, world: dict[str, Any]) -> None:
    """The match route reads as little as it can (web/matching/api.py): the token's secret is looked
    up once, together with its owner and the platform's chosen banks, in one statement
    (matching/callers.py); then, for what matched only, labels and bank names in one query. Two
    SELECTs for a matching request, one for a request that matches nothing, none for users alone."""
    from sqlalchemy import event

    engine = client.app.state.database.engine
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    post(client, world["token"], hashes=[world["shared"][0]])  # the first request builds the matcher
    event.listen(engine, "before_cursor_execute", seen)
    try:
        assert post(client, world["token"], hashes=[world["shared"][0]]).status_code == 200
        matched = list(statements)
        statements.clear()
        assert post(client, world["token"], hashes=["0" * 64]).status_code == 200  # matches nothing
        unmatched = list(statements)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    by_secret = [s for s in matched if "secret_hash" in s and "WHERE" in s and "api_tokens.secret_hash =" in s]
    token_reads = [s for s in matched if s.lstrip().upper().startswith("SELECT") and "FROM api_tokens" in s]
    user_reads = [s for s in matched if s.lstrip().upper().startswith("SELECT") and "FROM users" in s
                  and "api_tokens" not in s]
    assert len(by_secret) == 1, matched
    assert len(token_reads) == 1 and all("JOIN users" in s and "JOIN match_platform_banks" in s
                                         for s in token_reads), token_reads
    assert user_reads == [], user_reads
    selects = [s for s in matched if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 2, selects
    assert len([s for s in unmatched if s.lstrip().upper().startswith("SELECT")]) == 1, unmatched
