"""The plan registry through the web pages and the JSON API: browsing, both languages, who may
change what (403 for agency officers on measures and on other agencies' profiles), CSRF, headers."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mamoru import audit
from mamoru.auth import roles
from mamoru.plan.models import Measure, Plan


@pytest.fixture
def measure(loaded: Session) -> Measure:
    return loaded.scalars(select(Measure).order_by(Measure.id)).first()  # type: ignore[return-value]


def test_public_home_shows_plan_matrix_and_loaded_count(client, loaded) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/?lang=en")
    assert r.status_code == 200
    assert "Basic Plan on Measures against Child Sexual Exploitation" in r.text
    assert "24 of 88 measures loaded" in r.text
    assert 'id="matrix"' in r.text and ">NPA</a>" in r.text
    ja = client.get("/?lang=ja")
    assert "全 88 施策のうち 24 件を登録済み" in ja.text
    assert "子供の性被害防止プラン" in ja.text
    assert ja.cookies.get("mamoru_lang") == "ja" or "mamoru_lang=ja" in ja.headers.get("set-cookie", "")


def test_pages_render_in_both_languages(client, loaded, measure) -> None:  # type: ignore[no-untyped-def]
    for path in ["/plans/basic-plan-2017/pillars/3", f"/measures/{measure.uid}", "/agencies", "/agencies/MHLW",
                 "/timeline", "/definitions"]:
        for lang in ("ja", "en"):
            r = client.get(f"{path}?lang={lang}")
            assert r.status_code == 200, (path, lang)
            assert f'<html lang="{lang}">' in r.text


def test_succession_shows_todays_agency(client, loaded) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/v1/measures", params={"agency": "CFA"})
    assert r.status_code == 200
    moved = r.json()
    assert moved, "some MHLW child-related measures roll up to the Children and Families Agency"
    for m in moved:
        mhlw = [a for a in m["agencies"] if a["agency"]["code"] == "MHLW"]
        assert mhlw and mhlw[0]["current_agency"]["code"] == "CFA"


def test_api_plan_document(client, loaded) -> None:  # type: ignore[no-untyped-def]
    plans = client.get("/api/v1/plans").json()
    p2017 = next(p for p in plans if p["key"] == "basic-plan-2017")
    assert p2017["measures_total"] == 88 and p2017["measures_loaded"] == 24
    full = client.get("/api/v1/plans/basic-plan-2017").json()
    assert [p["number"] for p in full["pillars"]] == [1, 2, 3, 4, 5, 6]
    assert client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/measures/{uid}"]["patch"]


def test_coordinator_amends_through_api_and_audit_records_it(client, loaded, measure, make_user, api_token) -> None:  # type: ignore[no-untyped-def]
    coord = make_user(roles.COORDINATOR)
    tok = api_token(coord, ["plan:write"])
    r = client.patch(f"/api/v1/measures/{measure.uid}", json={"title_en": "Amended title", "reason": "wording fixed"},
                     headers={"Authorization": f"Bearer {tok}"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["title_en"] == "Amended title" and body["amendments"][-1]["reason"] == "wording fixed"
    ev = loaded.scalars(select(audit.AuditEvent).where(audit.AuditEvent.action == "measure:amend")).all()
    assert ev and ev[-1].actor == coord.username


def test_amendment_needs_reason(client, loaded, measure, make_user, api_token) -> None:  # type: ignore[no-untyped-def]
    tok = api_token(make_user(roles.COORDINATOR), ["plan:write"])
    r = client.patch(f"/api/v1/measures/{measure.uid}", json={"title_en": "x", "reason": " "},
                     headers={"Authorization": f"Bearer {tok}"})
    assert r.status_code == 422 and "reason" in r.text


def test_agency_officer_refused_on_measure_and_other_profile(client, loaded, measure, make_user, api_token) -> None:  # type: ignore[no-untyped-def]
    officer = make_user(roles.AGENCY_OFFICER, agency="NPA")
    tok = api_token(officer, ["plan:write"])
    h = {"Authorization": f"Bearer {tok}"}
    r = client.patch(f"/api/v1/measures/{measure.uid}", json={"title_en": "x", "reason": "mine now"}, headers=h)
    assert r.status_code == 403
    r = client.put("/api/v1/agencies/MOJ/profile", json={"focal_point": "not mine"}, headers=h)
    assert r.status_code == 403
    r = client.put("/api/v1/agencies/NPA/profile", json={"focal_point": "Child protection desk"}, headers=h)
    assert r.status_code == 200 and r.json()["focal_point"] == "Child protection desk"
    loaded.expire_all()
    assert loaded.get(Measure, measure.id).title_en != "x"


def test_token_without_scope_is_refused(client, loaded, measure, make_user, api_token) -> None:  # type: ignore[no-untyped-def]
    tok = api_token(make_user(roles.COORDINATOR), ["plan:read"])
    r = client.patch(f"/api/v1/measures/{measure.uid}", json={"title_en": "x", "reason": "r"},
                     headers={"Authorization": f"Bearer {tok}"})
    assert r.status_code == 403 and "scope" in r.text


def test_browser_form_amend_needs_csrf(client, loaded, measure, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    coord = make_user(roles.COORDINATOR)
    csrf = login_as(coord)
    form = {"code": measure.code, "title_en": "Form-amended", "reason": "via form"}
    r = client.post(f"/measures/{measure.uid}/amend", data=form, follow_redirects=False)
    assert r.status_code == 403
    r = client.post(f"/measures/{measure.uid}/amend", data={**form, "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert "Form-amended" in client.get(f"/measures/{measure.uid}?lang=en").text


def test_login_form_needs_csrf(client, loaded, make_user) -> None:  # type: ignore[no-untyped-def]
    u = make_user(roles.AUDITOR)
    r = client.post("/login", data={"username": u.username, "password": "correct-horse-battery"}, follow_redirects=False)
    assert r.status_code == 403


def test_audit_log_for_auditor_only(client, loaded, make_user, api_token) -> None:  # type: ignore[no-untyped-def]
    auditor = make_user(roles.AUDITOR)
    coord = make_user(roles.COORDINATOR)
    r = client.get("/api/v1/audit", headers={"Authorization": f"Bearer {api_token(auditor, ['audit:read'])}"})
    assert r.status_code == 200 and any(e["action"] == "user:create" for e in r.json())
    r = client.get("/api/v1/audit", headers={"Authorization": f"Bearer {api_token(coord, ['plan:read'])}"})
    assert r.status_code == 403


def test_security_headers(client, loaded) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "strict-transport-security" not in r.headers  # plain HTTP here; HSTS only over TLS


def test_draft_plan_hidden_from_public(client, loaded, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    loaded.add(Plan(key="draft-2027", title_en="Draft next plan", title_ja="次期計画案", status="draft"))
    loaded.commit()
    assert client.get("/plans/draft-2027").status_code == 404
    assert all(p["key"] != "draft-2027" for p in client.get("/api/v1/plans").json())
    login_as(make_user(roles.COORDINATOR))
    assert client.get("/plans/draft-2027").status_code == 200


def test_admin_creates_user_in_browser_and_creator_is_recorded(client, loaded, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(roles.ADMINISTRATOR)
    csrf = login_as(admin)
    r = client.post("/admin/users", data={"username": "mof1", "role": "agency_officer", "agency": "MOFA",
                                          "password": "a-long-password", "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get("/admin/users?lang=en").text
    # an e-mail column (empty here), and each account links to its page (the office serves it)
    assert re.search(r"mof1</a></td><td>Agency officer</td><td>MOFA</td><td></td><td>yes</td><td>" + admin.username, page)
    r = client.post("/admin/users", data={"username": "xyz1", "role": "agency_officer", "agency": "XYZ",
                                          "password": "a-long-password", "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 422 and "unknown agency &#39;XYZ&#39;" in r.text


def test_plan_pillar_agency_records_changed_by_coordinator_only(client, loaded, make_user, api_token) -> None:  # type: ignore[no-untyped-def]
    coord = {"Authorization": f"Bearer {api_token(make_user(roles.COORDINATOR), ['plan:write'])}"}
    officer = {"Authorization": f"Bearer {api_token(make_user(roles.AGENCY_OFFICER, agency='MIC'), ['plan:write'])}"}
    r = client.patch("/api/v1/plans/basic-plan-2017/pillars/1", json={"title_ja": "柱1の新しい名称", "reason": "正式名称"}, headers=coord)
    assert r.status_code == 200 and r.json()["title_ja"] == "柱1の新しい名称" and r.json()["ja_provisional"] is False
    assert client.patch("/api/v1/plans/basic-plan-2017/pillars/1", json={"title_ja": "x", "reason": "r"}, headers=officer).status_code == 403
    r = client.patch("/api/v1/agencies/MHLW", json={"valid_from": "2001-01-06", "valid_to": "2000-01-01"}, headers=coord)
    assert r.status_code == 422 and "valid_to" in r.text
    assert client.patch("/api/v1/agencies/MIC", json={"name_en": "x"}, headers=officer).status_code == 403
    r = client.patch("/api/v1/plans/basic-plan-2017", json={"status": "archived", "reason": "r"}, headers=coord)
    assert r.status_code == 422
    r = client.patch("/api/v1/plans/basic-plan-2017", json={"measures_total": 88, "period_note_en": "to 2022", "reason": "noted"}, headers=coord)
    assert r.status_code == 200
    actions = [e.action for e in loaded.scalars(select(audit.AuditEvent)).all()]
    assert "pillar:update" in actions and "plan:update" in actions


def test_hsts_is_sent_over_tls_and_not_over_plain_http(app, loaded, settings, database) -> None:  # type: ignore[no-untyped-def]
    """HSTS when the request came over TLS, or when the app is told it sits behind a TLS proxy
    (MAMORU_SECURE_COOKIES; `mamoru serve` does not trust X-Forwarded-Proto)."""
    from dataclasses import replace

    from fastapi.testclient import TestClient

    from mamoru.web.app import create_app

    with TestClient(app, base_url="https://testserver") as tls:
        hsts = tls.get("/").headers.get("strict-transport-security", "")
        assert tls.get("/login").headers.get("strict-transport-security") == hsts
    max_age = int(re.search(r"max-age=(\d+)", hsts).group(1))  # type: ignore[union-attr]
    assert max_age >= 365 * 86400 and "includeSubDomains" in hsts
    with TestClient(app) as plain:
        assert "strict-transport-security" not in plain.get("/").headers
        assert "strict-transport-security" not in plain.get("/", headers={"X-Forwarded-Proto": "https"}).headers
    behind_proxy = create_app(replace(settings, secure_cookies=True), database)
    with TestClient(behind_proxy) as proxied:
        assert proxied.get("/").headers.get("strict-transport-security") == hsts
