"""The analysts' queue can be searched and filtered (issue 12, journey 2): by case number, URL or host
text, status, age, source, immediate danger and who holds the case; the same filters on the page
(kept in its query string, the form showing them) and on GET /api/v1/hotline/queue (a bad value is a
422 naming it). An analyst takes a case and gives it back from the queue or the case page."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from tests.factories import hotline

from mamoru.auth import roles
from mamoru.db import utcnow
from mamoru.errors import InvalidInput
from mamoru.hotline import service as svc
from mamoru.hotline import triage
from mamoru.hotline.models import CaseEvent, HotlineCase

STAFF = sorted(roles.ROLE_SCOPES[roles.ANALYST])


def _cases(session: Any, make_user: Any) -> dict[str, Any]:
    """Four benign cases that differ in one way each, under one random marker."""
    tag = secrets.token_hex(4)
    old = hotline.report(session, f"http://old-{tag}.example.test/a", now=utcnow() - timedelta(hours=30)).case
    danger = hotline.report(session, f"http://danger-{tag}.example.test/b", immediate_danger=True).case
    partner = hotline.report(session, f"http://partner-{tag}.example.test/c", source="partner", partner="X").case
    plain = hotline.report(session, f"http://plain-{tag}.example.test/d").case
    return {"tag": tag, "old": old.id, "danger": danger.id, "partner": partner.id, "plain": plain.id}


def _ids(session: Any, viewer: Any, **values: str) -> set[int]:
    return {c.id for c in triage.find(session, triage.parse(values), viewer)}


def test_each_filter_narrows_the_queue(session, make_user) -> None:  # type: ignore[no-untyped-def]
    c = _cases(session, make_user)
    me = make_user(roles.ANALYST)
    tag = c["tag"]
    every = {c["old"], c["danger"], c["partner"], c["plain"]}
    assert _ids(session, me, q=tag) == every
    assert _ids(session, me, q=f"danger-{tag}.EXAMPLE.test") == {c["danger"]}  # host text, any case
    assert c["plain"] in _ids(session, me, q=f"C{c['plain']:07d}")  # the case number
    assert _ids(session, me, q=tag, older_than="24") == {c["old"]}
    assert _ids(session, me, q=tag, within="24") == every - {c["old"]}
    assert _ids(session, me, q=tag, source="partner") == {c["partner"]}
    assert _ids(session, me, q=tag, danger="yes") == {c["danger"]}
    assert _ids(session, me, q=tag, danger="no") == every - {c["danger"]}
    assert _ids(session, me, q=tag, assigned="me") == set()
    case = session.get(HotlineCase, c["plain"])
    triage.take(session, case, me, True)
    session.commit()
    assert _ids(session, me, q=tag, assigned="me") == {c["plain"]}
    assert _ids(session, me, q=tag, assigned="nobody") == every - {c["plain"]}
    svc.assess(session, session.get(HotlineCase, c["old"]), me, "not_illegal")
    session.commit()
    assert _ids(session, me, q=tag) == every - {c["old"]}, "the queue holds cases waiting for assessment"
    assert _ids(session, me, q=tag, status="closed") == {c["old"]}
    assert _ids(session, me, q=tag, status="all") == every
    assert _ids(session, me, q="100%_") == set()  # LIKE wildcards are text, not patterns


def test_a_bad_filter_value_is_refused_with_its_name() -> None:
    for values, field in (({"status": "lost"}, "status"), ({"older_than": "-1"}, "older_than"),
                          ({"within": "soon"}, "within"), ({"source": "rumour"}, "source"),
                          ({"danger": "maybe"}, "danger"), ({"assigned": "boss"}, "assigned")):
        try:
            triage.parse(values)
        except InvalidInput as exc:
            assert [p.field for p in exc.problems] == [field]
        else:
            raise AssertionError(f"{values} accepted")


def test_the_page_keeps_the_filters_in_its_query_string(hl_client, session, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    c = _cases(session, make_user)
    login_as(make_user(roles.ANALYST))
    page = hl_client.get(f"/hotline?q={c['tag']}&source=partner&lang=ja").text
    rows = re.findall(r'<tr id="case-(\d+)"', page)
    assert rows == [str(c["partner"])]
    assert f'name="q" value="{c["tag"]}"' in page  # the form shows the current choices
    assert re.search(r'<option value="partner" selected>', page)
    assert "該当する事案" in page and 'id="open-cases"' not in page
    assert f'name="next" value="/hotline?q={c["tag"]}&amp;source=partner&amp;lang=ja"' in page  # back here after assigning
    refused = hl_client.get("/hotline?within=soon&lang=ja")
    assert refused.status_code == 422
    assert "0から" in refused.text and "受付から（時間以内）" in refused.text  # in Japanese, naming the field
    default = hl_client.get("/hotline").text
    assert 'id="open-cases"' in default or "対応中の事案はありません" in default or "No open cases" in default


def test_the_api_takes_the_same_filters_and_refuses_bad_values(hl_client, session, make_user, api_token) -> None:  # type: ignore[no-untyped-def]
    c = _cases(session, make_user)
    h = {"Authorization": f"Bearer {api_token(make_user(roles.ANALYST), STAFF)}"}
    r = hl_client.get("/api/v1/hotline/queue", params={"q": c["tag"], "danger": "yes"}, headers=h)
    assert r.status_code == 200 and [x["id"] for x in r.json()] == [c["danger"]]
    r = hl_client.get("/api/v1/hotline/queue", params={"q": c["tag"], "older_than": 24}, headers=h)
    assert [x["id"] for x in r.json()] == [c["old"]]
    r = hl_client.get("/api/v1/hotline/queue", params={"status": "lost"}, headers=h)
    assert r.status_code == 422 and r.json()["problems"][0]["field"] == "status" and "queued" in r.json()["detail"]
    r = hl_client.get("/api/v1/hotline/queue", params={"older_than": -1}, headers=h)
    assert r.status_code == 422
    spec = hl_client.get("/api/v1/openapi.json").json()
    names = {p["name"] for p in spec["paths"]["/api/v1/hotline/queue"]["get"]["parameters"]}
    assert {"q", "status", "older_than", "within", "source", "danger", "assigned"} <= names


def test_an_analyst_takes_a_case_and_gives_it_back(hl_client, session, make_user, login_as, api_token) -> None:  # type: ignore[no-untyped-def]
    c = _cases(session, make_user)
    analyst = make_user(roles.ANALYST)
    csrf = login_as(analyst)
    back = f"/hotline?q={c['tag']}&assigned=me"
    r = hl_client.post(f"/hotline/cases/{c['plain']}/assign", data={"csrf_token": csrf, "take": "1", "next": back},
                       follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == back
    assert re.findall(r'<tr id="case-(\d+)"', hl_client.get(back).text) == [str(c["plain"])]
    page = hl_client.get(f"/hotline/cases/{c['plain']}?lang=ja").text
    assert "分析担当者が担当" in page and "担当を外す" in page  # the history in words; the button to give it back
    r = hl_client.post(f"/hotline/cases/{c['plain']}/assign", data={"csrf_token": csrf, "take": "0",
                                                                    "next": "https://elsewhere.example.test/"},
                       follow_redirects=False)
    assert r.headers["location"] == f"/hotline/cases/{c['plain']}"  # never sent off the site
    session.expire_all()
    assert session.get(HotlineCase, c["plain"]).assigned_to_id is None
    kinds = list(session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == c["plain"]).order_by(CaseEvent.id)))
    assert kinds[-2:] == ["assigned", "unassigned"]
    h = {"Authorization": f"Bearer {api_token(analyst, STAFF)}"}
    r = hl_client.post(f"/api/v1/hotline/cases/{c['danger']}/assign", json={"me": True}, headers=h)
    assert r.status_code == 200 and r.json()["assigned_to"] == analyst.username
