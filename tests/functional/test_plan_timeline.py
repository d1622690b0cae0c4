"""Corrections to the governance timeline: the coordinator edits an event through the API and the
timeline page, with a reason, audited; others are refused; bad values change nothing."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from mamoru import audit
from mamoru.auth import roles
from mamoru.plan.models import TimelineEvent

EVENT = "2016-03-cabinet-decision-npsc-coordination"


def _event(s: Session) -> TimelineEvent:
    s.expire_all()
    e = s.scalar(select(TimelineEvent).where(TimelineEvent.key == EVENT))
    assert e is not None
    return e


def test_coordinator_corrects_an_event_through_the_api(client, loaded: Session, make_user, api_token) -> None:  # type: ignore[no-untyped-def]
    coord = make_user(roles.COORDINATOR)
    h = {"Authorization": f"Bearer {api_token(coord, ['plan:write'])}"}
    r = client.patch(f"/api/v1/timeline/{EVENT}", headers=h, json={
        "date": "2016-03-01", "precision": "month", "body": "", "title_en": "Corrected title",
        "reason": "the minutes give only the month"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["key"] == EVENT and body["date"] == "2016-03-01" and body["precision"] == "month"
    assert body["body"] is None and body["title_en"] == "Corrected title"
    listed = next(e for e in client.get("/api/v1/timeline").json() if e["key"] == EVENT)
    assert listed["title_en"] == "Corrected title"
    ev = loaded.scalars(select(audit.AuditEvent).where(audit.AuditEvent.action == "timeline:update")).all()
    assert [(e.actor, e.target) for e in ev] == [(coord.username, f"timeline:{EVENT}")]
    assert "the minutes give only the month" in ev[0].detail and "2016-03-29" in ev[0].detail


def test_api_refuses_others_and_bad_values_without_change(client, loaded: Session, make_user, api_token) -> None:  # type: ignore[no-untyped-def]
    officer = {"Authorization": f"Bearer {api_token(make_user(roles.AGENCY_OFFICER, agency='NPA'), ['plan:write'])}"}
    coord = {"Authorization": f"Bearer {api_token(make_user(roles.COORDINATOR), ['plan:write'])}"}
    before = (_event(loaded).on, _event(loaded).title_en, _event(loaded).body_id)
    assert client.patch(f"/api/v1/timeline/{EVENT}", json={"title_en": "x", "reason": "r"}, headers=officer).status_code == 403
    assert client.patch(f"/api/v1/timeline/{EVENT}", json={"title_en": "x", "reason": "r"}).status_code in (401, 403)
    r = client.patch(f"/api/v1/timeline/{EVENT}", json={"title_en": "x", "precision": "week", "body": "nobody",
                                                         "kind": "Not A Kind", "reason": "r"}, headers=coord)
    assert r.status_code == 422
    assert "precision" in r.text and "no body 'nobody'" in r.text and "kind" in r.text
    r = client.patch(f"/api/v1/timeline/{EVENT}", json={"title_en": "", "reason": "r"}, headers=coord)
    assert r.status_code == 422 and "title_en" in r.text
    r = client.patch(f"/api/v1/timeline/{EVENT}", json={"title_en": "x", "reason": " "}, headers=coord)
    assert r.status_code == 422 and "reason" in r.text
    assert client.patch("/api/v1/timeline/no-such-event", json={"title_en": "x", "reason": "r"},
                        headers=coord).status_code == 404
    e = _event(loaded)
    assert (e.on, e.title_en, e.body_id) == before
    assert loaded.scalars(select(audit.AuditEvent).where(audit.AuditEvent.action == "timeline:update")).all() == []


def _form(e: TimelineEvent, **changes: str) -> dict[str, str]:
    return {"on": e.on.isoformat(), "precision": e.precision, "kind": e.kind, "body": e.body.key if e.body else "",
            "title_en": e.title_en, "title_ja": e.title_ja, "description_en": e.description_en,
            "description_ja": e.description_ja, **changes}


def test_timeline_page_form_for_the_coordinator(client, loaded: Session, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    assert f'action="/timeline/{EVENT}/edit"' not in client.get("/timeline").text
    coord = make_user(roles.COORDINATOR)
    csrf = login_as(coord)
    page = client.get("/timeline?lang=ja").text
    assert f'action="/timeline/{EVENT}/edit"' in page and "この事項を訂正する" in page
    form = _form(_event(loaded), title_en="Cabinet decision (corrected)", reason="official title")
    assert client.post(f"/timeline/{EVENT}/edit", data=form, follow_redirects=False).status_code == 403  # no CSRF
    r = client.post(f"/timeline/{EVENT}/edit", data={**form, "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/timeline#{EVENT}"
    assert "Cabinet decision (corrected)" in client.get("/timeline?lang=en").text
    ev = loaded.scalars(select(audit.AuditEvent).where(audit.AuditEvent.action == "timeline:update")).all()
    assert [e.actor for e in ev] == [coord.username]


def test_timeline_form_shows_problems_and_changes_nothing(client, loaded: Session, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    csrf = login_as(make_user(roles.COORDINATOR))
    before = _event(loaded).title_ja
    form = _form(_event(loaded), title_ja="", on="2016-13-40", reason="", csrf_token=csrf)
    r = client.post(f"/timeline/{EVENT}/edit", data=form, follow_redirects=False)
    assert r.status_code == 422
    assert re.search(r"<details class=\"edit\" open>", r.text)
    assert "date: must be a date" in r.text
    form = _form(_event(loaded), title_ja="", reason="", csrf_token=csrf)
    r = client.post(f"/timeline/{EVENT}/edit", data=form, follow_redirects=False)
    assert r.status_code == 422 and "title_ja: must not be empty" in r.text and "reason: a correction needs a reason" in r.text
    assert _event(loaded).title_ja == before


def test_agency_officer_cannot_post_the_timeline_form(client, loaded: Session, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    csrf = login_as(make_user(roles.AGENCY_OFFICER, agency="NPA"))
    assert f'action="/timeline/{EVENT}/edit"' not in client.get("/timeline").text
    r = client.post(f"/timeline/{EVENT}/edit", data=_form(_event(loaded), title_en="x", reason="r", csrf_token=csrf),
                    follow_redirects=False)
    assert r.status_code == 403
    assert _event(loaded).title_en != "x"
