"""Assessment labels are configurable: senior analysts add, rename and retire them through the API, the
labels page and `mamoru hotline label`; analysts only read them; every change is audited; the
assessment form offers what is configured and a retired label is refused."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from tests.factories import hotline
from tests.factories.hotline import STAFF_SCOPES
from tests.functional.conftest import Cli

from mamoru.audit import AuditEvent
from mamoru.errors import InvalidInput, PermissionDenied
from mamoru.hotline import labels, service
from mamoru.hotline.models import Label


def _label(database, kind: str, code: str) -> Label | None:  # type: ignore[no-untyped-def]
    with database.session() as s:
        return s.scalar(select(Label).where(Label.kind == kind, Label.code == code))


def _audits(database, target: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with database.session() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.target == target).order_by(AuditEvent.seq)))


def test_service_adds_keeps_defaults_retires_and_refuses(session, make_user, definitions) -> None:  # type: ignore[no-untyped-def]
    senior, analyst = make_user("senior_analyst"), make_user("analyst")
    with pytest.raises(PermissionDenied):
        labels.save_label(session, analyst, "severity", "d", labels.LabelChange(title_en="Category D"))
    with pytest.raises(InvalidInput) as exc:
        labels.save_label(session, senior, "colour", "Bad Code!", labels.LabelChange())
    assert {p.field for p in exc.value.problems} == {"kind", "code", "title"}
    with pytest.raises(InvalidInput):  # a new label needs a title
        labels.save_label(session, senior, "severity", "d", labels.LabelChange(position=9))

    added = labels.save_label(session, senior, "severity", "d", labels.LabelChange(title_ja="カテゴリーD"))
    assert (added.title_en, added.title_ja, added.position, added.active) == ("カテゴリーD", "カテゴリーD", 4, True)
    # the defaults were seeded before the new label, so adding one does not hide them
    assert [lb.code for lb in service.labels(session, "severity")] == ["a", "b", "c", "d"]
    labels.save_label(session, senior, "severity", "b", labels.LabelChange(active=False, title_en="Category B (old)"))
    assert [lb.code for lb in service.labels(session, "severity")] == ["a", "c", "d"]
    assert [lb.code for lb in labels.all_labels(session, "severity")] == ["a", "b", "c", "d"]

    report = hotline.report(session, "http://labels.example.test/x")
    with pytest.raises(InvalidInput, match="unknown label 'b'"):
        service.assess(session, report.case, analyst, "csam", legal_basis="child-pornography", severity="b",
                       hosting_country="NL")
    a = service.assess(session, report.case, analyst, "csam", legal_basis="child-pornography", severity="d",
                       hosting_country="NL")
    assert a.severity == "d"
    events = list(session.scalars(select(AuditEvent).where(AuditEvent.action == "hotline:label:save")
                                  .order_by(AuditEvent.seq)))
    assert [(e.actor, e.target) for e in events] == [(senior.username, "hotline:label:severity:d"),
                                                     (senior.username, "hotline:label:severity:b")]
    assert '"active":false' in events[1].detail.replace(" ", "")


def test_api_lists_for_analysts_and_changes_for_senior_analysts(hl_client, database, make_user, api_token) -> None:  # type: ignore[no-untyped-def]
    analyst = {"Authorization": f"Bearer {api_token(make_user('analyst'), STAFF_SCOPES)}"}
    senior_user = make_user("senior_analyst")
    senior = {"Authorization": f"Bearer {api_token(senior_user, STAFF_SCOPES)}"}
    r = hl_client.get("/api/v1/hotline/labels?kind=age_band", headers=analyst)
    assert r.status_code == 200
    assert [lb["code"] for lb in r.json()] == ["infant", "prepubescent", "pubescent", "unknown"]

    body = {"title_en": "Adolescent (15-17)", "title_ja": "15〜17歳", "position": 3}
    assert hl_client.put("/api/v1/hotline/labels/age_band/adolescent", headers=analyst, json=body).status_code == 403
    assert _label(database, "age_band", "adolescent") is None
    r = hl_client.put("/api/v1/hotline/labels/age_band/adolescent", headers=senior, json=body)
    assert r.status_code == 200, r.text
    assert r.json() == {"kind": "age_band", "code": "adolescent", "title_en": "Adolescent (15-17)",
                        "title_ja": "15〜17歳", "position": 3, "active": True}
    r = hl_client.put("/api/v1/hotline/labels/age_band/unknown", headers=senior, json={"active": False})
    assert r.status_code == 200 and r.json()["active"] is False and r.json()["title_en"] == "Age unclear"
    listed = {lb["code"]: lb["active"] for lb in hl_client.get("/api/v1/hotline/labels", headers=analyst).json()}
    assert listed["adolescent"] is True and listed["unknown"] is False and listed["a"] is True
    r = hl_client.put("/api/v1/hotline/labels/age_band/Not%20A%20Code", headers=senior, json={"title_en": "x"})
    assert r.status_code == 422
    assert [e.actor for e in _audits(database, "hotline:label:age_band:adolescent")] == [senior_user.username]


def test_labels_page_form_for_senior_analysts_and_the_case_form_offers_them(hl_client, database, session, make_user,
                                                                           login_as, definitions) -> None:  # type: ignore[no-untyped-def]
    analyst = make_user("analyst")
    csrf = login_as(analyst)
    page = hl_client.get("/hotline/labels?lang=en")
    assert page.status_code == 200 and 'data-code="prepubescent"' in page.text
    assert 'id="label-form"' not in page.text  # analysts read, senior analysts change
    r = hl_client.post("/hotline/labels", data={"kind": "severity", "code": "e", "title_en": "E", "active": "1",
                                                "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 403 and _label(database, "severity", "e") is None

    senior = make_user("senior_analyst")
    csrf = login_as(senior)
    assert 'id="label-form"' in hl_client.get("/hotline/labels").text
    r = hl_client.post("/hotline/labels", data={"kind": "severity", "code": "e", "title_en": "Category E",
                                                "title_ja": "カテゴリーE", "position": "", "active": "1",
                                                "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303, r.text[:500]
    r = hl_client.post("/hotline/labels", data={"kind": "severity", "code": "c", "csrf_token": csrf},
                       follow_redirects=False)  # checkbox left unticked: retired, titles kept
    assert r.status_code == 303
    c = _label(database, "severity", "c")
    assert c is not None and not c.active and c.title_en == "Category C"
    r = hl_client.post("/hotline/labels", data={"kind": "severity", "code": "f", "position": "x", "csrf_token": csrf})
    assert r.status_code == 422 and "position" in r.text and _label(database, "severity", "f") is None
    assert [e.actor for e in _audits(database, "hotline:label:severity:e")] == [senior.username]

    report = hotline.report(session, "http://labels.example.test/page")
    session.commit()
    login_as(analyst)
    case_page = hl_client.get(f"/hotline/cases/{report.case_id}?lang=en").text
    severity = re.search(r'<select name="severity">(.*?)</select>', case_page, re.S)
    assert severity is not None
    assert re.findall(r'value="([^"]*)"', severity.group(1)) == ["", "a", "b", "e"]
    assert "Category E" in severity.group(1)


def test_cli_lists_and_changes_labels(cli: Cli) -> None:
    r = cli("hotline", "label", "severity", "x", "--en", "Category X", "--ja", "カテゴリーX", "--position", "7")
    assert r.exit_code == 0, r.output
    r = cli("hotline", "label", "severity", "a", "--retired")
    assert r.exit_code == 0 and "retired" in r.stderr, r.output
    r = cli("hotline", "labels", "--kind", "severity")
    assert r.exit_code == 0, r.output
    rows = [line.split("\t") for line in r.stdout.splitlines()]
    assert [row[:4] for row in rows] == [["severity", "a", "1", "retired"], ["severity", "b", "2", "offered"],
                                         ["severity", "c", "3", "offered"], ["severity", "x", "7", "offered"]]
    assert rows[-1][4:] == ["Category X", "カテゴリーX"]
    r = cli("hotline", "label", "severity", "y")  # a new label needs a title
    assert r.exit_code == 2 and "title" in r.output
    assert cli("hotline", "labels", "--kind", "colour").exit_code != 0
