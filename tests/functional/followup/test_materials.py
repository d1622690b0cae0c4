"""Awareness material through the service, the JSON API and the pages: added as a draft, changed,
published to the portal and taken off it, retired for good; the plan office keeps any material, an
agency officer their own agency's only; every change is audited; bad values are named."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from mamoru.audit import AuditEvent
from mamoru.auth import roles
from mamoru.errors import Conflict, InvalidInput, PermissionDenied
from mamoru.followup import materials as msvc

GUIDE = {"measure": "t-1-01", "agency": "MIC", "title_ja": "保護者向けフィルタリングガイド",
         "title_en": "Filtering guide for parents", "url": "https://www.soumu.go.jp/example-filtering"}


def _audit(session: Any, target: str) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).where(AuditEvent.target == target).order_by(AuditEvent.seq)))


def test_lifecycle_permissions_and_audit(ref, make_user) -> None:  # type: ignore[no-untyped-def]
    office, mic, npa = (make_user(roles.COORDINATOR), make_user(roles.AGENCY_OFFICER, agency="MIC"),
                        make_user(roles.AGENCY_OFFICER, agency="NPA"))
    with pytest.raises(InvalidInput) as bad:
        msvc.add_material(ref, office, "t-9-99", " ", "", "javascript:alert(1)", "adults", "XYZ")
    assert {p.field for p in bad.value.problems} == {"measure", "agency", "url", "title", "audience"}
    m = msvc.add_material(ref, office, "t-1-01", GUIDE["title_en"], GUIDE["title_ja"], GUIDE["url"], agency_code="mic")
    assert msvc.state_of(m) == "draft" and m.agency.code == "MIC"
    assert msvc.materials(ref, published_only=True) == []
    with pytest.raises(PermissionDenied):  # the measure is NPA's too, but the material is MIC's
        msvc.set_published(ref, npa, m, True)
    with pytest.raises(PermissionDenied):
        msvc.add_material(ref, mic, "t-1-01", "x", "x", "https://example.org/", agency_code="NPA")
    with pytest.raises(PermissionDenied):
        msvc.set_published(ref, make_user(roles.AUDITOR), m, True)
    assert msvc.update_material(ref, mic, m, {"title_en": "Filtering guide for parents (2025)", "audience": "schools"}) \
        == {"title_en": ["Filtering guide for parents", "Filtering guide for parents (2025)"], "audience": ["families", "schools"]}
    with pytest.raises(PermissionDenied):  # an officer cannot move it to another agency's measure
        msvc.update_material(ref, mic, m, {"measure": "t-1-02"})
    with pytest.raises(InvalidInput):
        msvc.update_material(ref, office, m, {"url": "ftp://x", "colour": "red"})
    msvc.set_published(ref, mic, m, True)
    assert [x.id for x in msvc.materials(ref, published_only=True)] == [m.id]
    msvc.set_published(ref, office, m, False)
    msvc.set_published(ref, office, m, True)
    msvc.retire_material(ref, office, m, "the ministry took the page down")
    assert msvc.state_of(m) == "retired" and m.retired_by == office.username
    assert msvc.materials(ref, published_only=True) == [] and msvc.materials(ref, state="retired") == [m]
    with pytest.raises(Conflict):
        msvc.set_published(ref, office, m, True)
    with pytest.raises(Conflict):
        msvc.update_material(ref, office, m, {"title_ja": "改訂版"})
    assert _audit(ref, f"material:{m.id}") == [
        "followup:material:add", "followup:material:edit", "followup:material:publish", "followup:material:unpublish",
        "followup:material:publish", "followup:material:retire"]


@pytest.fixture
def tokens(ref, make_user, api_token) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    def bearer(user: object, scopes: list[str]) -> dict[str, str]:
        return {"Authorization": f"Bearer {api_token(user, scopes)}"}

    rw = ["plan:read", "plan:write"]
    return {"office": bearer(make_user(roles.COORDINATOR), rw),
            "mic": bearer(make_user(roles.AGENCY_OFFICER, agency="MIC"), rw),
            "npa": bearer(make_user(roles.AGENCY_OFFICER, agency="NPA"), rw),
            "public": bearer(make_user(roles.SUBSCRIBER), ["feed"])}


def test_api_add_edit_publish_unpublish_retire(client, ref, tokens) -> None:  # type: ignore[no-untyped-def]
    url = "/api/v1/followup/materials"
    assert client.post(url, json=GUIDE).status_code in (401, 403)
    assert client.post(url, json=GUIDE, headers=tokens["public"]).status_code == 403
    bad = client.post(url, json={**GUIDE, "url": "javascript:x", "audience": "adults"}, headers=tokens["office"])
    assert bad.status_code == 422 and {p["field"] for p in bad.json()["problems"]} == {"url", "audience"}
    made = client.post(url, json=GUIDE, headers=tokens["mic"])
    assert made.status_code == 201 and made.json()["state"] == "draft" and made.json()["measure_code"] == "1-1"
    mid = made.json()["id"]
    assert client.get(url).json() == [] and client.get(f"{url}/{mid}").status_code == 404  # drafts stay private
    assert client.get(f"{url}?state=draft").json() == []
    assert [m["id"] for m in client.get(f"{url}?state=draft", headers=tokens["npa"]).json()] == [mid]  # staff see it
    assert client.patch(f"{url}/{mid}", json={"title_ja": "改訂"}, headers=tokens["npa"]).status_code == 403
    assert client.patch(f"{url}/{mid}", json={"audience": "adults"}, headers=tokens["office"]).status_code == 422
    changed = client.patch(f"{url}/{mid}", json={"title_ja": "保護者向けガイド（改訂）", "audience": "children"},
                           headers=tokens["office"])
    assert changed.status_code == 200 and changed.json()["title_ja"] == "保護者向けガイド（改訂）"
    assert client.post(f"{url}/{mid}/publish", headers=tokens["npa"]).status_code == 403
    assert client.post(f"{url}/{mid}/publish", headers=tokens["mic"]).json()["state"] == "published"
    assert [m["title_ja"] for m in client.get(url).json()] == ["保護者向けガイド（改訂）"]
    assert client.get(f"{url}/{mid}").json()["agency"] == "MIC"
    assert client.post(f"{url}/{mid}/unpublish", headers=tokens["office"]).json()["state"] == "draft"
    assert client.get(url).json() == []
    retired = client.post(f"{url}/{mid}/retire", json={"reason": "out of date"}, headers=tokens["office"])
    assert retired.status_code == 200 and retired.json()["state"] == "retired" and retired.json()["retired_at"]
    assert client.post(f"{url}/{mid}/publish", headers=tokens["office"]).status_code == 409
    assert client.patch(f"{url}/{mid}", json={"title_ja": "x"}, headers=tokens["office"]).status_code == 409
    assert [m["id"] for m in client.get(f"{url}?state=retired", headers=tokens["office"]).json()] == [mid]
    assert client.post(f"{url}/999999/publish", headers=tokens["office"]).status_code == 404
    assert _audit(ref, f"material:{mid}") == ["followup:material:add", "followup:material:edit",
                                              "followup:material:publish", "followup:material:unpublish",
                                              "followup:material:retire"]


def test_pages_keep_material_and_portal_shows_it(client, ref, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    csrf = login_as(make_user(roles.COORDINATOR))
    for lang in ("ja", "en"):
        assert client.get(f"/followup/materials?lang={lang}").status_code == 200
    bad = client.post("/followup/materials?lang=en", data={"csrf_token": csrf, **GUIDE, "url": "not an address"})
    assert bad.status_code == 422 and "URL: an http(s) address" in bad.text  # the field by its English name
    r = client.post("/followup/materials", data={"csrf_token": csrf, **GUIDE}, follow_redirects=False)
    assert r.status_code == 303
    mid = int(r.headers["location"].rsplit("-", 1)[1])
    page = client.get("/followup/materials?lang=ja").text
    assert re.search(rf'id="material-{mid}" data-state="draft"', page) and "下書き" in page
    assert GUIDE["title_ja"] not in client.get("/portal/awareness?lang=ja").text
    edit = client.post(f"/followup/materials/{mid}", follow_redirects=False, data={
        "csrf_token": csrf, **GUIDE, "title_en": "Filtering guide for families"})
    assert edit.status_code == 303
    client.post(f"/followup/materials/{mid}/state", data={"csrf_token": csrf, "action": "publish"})
    assert GUIDE["title_ja"] in client.get("/portal/awareness?lang=ja").text
    assert "Filtering guide for families" in client.get("/portal/awareness?lang=en").text
    assert client.post(f"/followup/materials/{mid}/state", data={"csrf_token": csrf, "action": "burn"}).status_code == 422
    csrf = login_as(make_user(roles.AGENCY_OFFICER, agency="NPA"))
    officer_view = client.get("/followup/materials?lang=en").text
    assert f'action="/followup/materials/{mid}/state"' not in officer_view  # MIC's material: no buttons for NPA
    assert client.post(f"/followup/materials/{mid}/state", data={"csrf_token": csrf, "action": "retire"}).status_code == 403
    csrf = login_as(make_user(roles.COORDINATOR))
    client.post(f"/followup/materials/{mid}/state", data={"csrf_token": csrf, "action": "retire", "reason": "古い"})
    assert GUIDE["title_ja"] not in client.get("/portal/awareness?lang=ja").text
    assert re.search(rf'id="material-{mid}" data-state="retired"', client.get("/followup/materials?state=retired").text)


def _measure_materials(page: str) -> str:
    """The measure page's awareness-material section, tags kept."""
    m = re.search(r'<section id="measure-materials">(.*?)</section>', page, re.S)
    assert m, "the measure page has no awareness-material section"
    return m.group(1)


def test_measure_page_and_json_list_the_material_the_measure_produces(client, ref, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    mic = make_user(roles.AGENCY_OFFICER, agency="MIC")
    guide = msvc.add_material(ref, mic, "t-1-01", GUIDE["title_en"], GUIDE["title_ja"], GUIDE["url"], "families")
    kids = msvc.add_material(ref, mic, "t-1-01", "Phone rules for children", "スマホのルール",
                             "https://www.soumu.go.jp/example-kids", "children")
    old = msvc.add_material(ref, mic, "t-1-01", "Old leaflet", "古いリーフレット", "https://www.soumu.go.jp/old")
    other = msvc.add_material(ref, None, "t-1-02", "Cabinet Office campaign", "内閣府の広報", "https://www.cao.go.jp/x")
    for m in (guide, old, other):
        msvc.set_published(ref, None, m, True)
    msvc.retire_material(ref, None, old, "out of date")
    ref.commit()
    # the public: published material of this measure only, in both languages
    ja = _measure_materials(client.get("/measures/t-1-01?lang=ja").text)
    assert f'<a href="{GUIDE["url"]}" rel="noopener noreferrer">保護者向けフィルタリングガイド</a> — 総務省' in ja
    assert "対象: 家庭" in ja and "スマホのルール" not in ja and "古いリーフレット" not in ja and "内閣府の広報" not in ja
    assert "下書き" not in ja and "/followup/materials" not in ja
    en = _measure_materials(client.get("/measures/t-1-01?lang=en").text)
    assert ">Filtering guide for parents</a> — Ministry of Internal Affairs and Communications" in en and "For: Families" in en
    assert "No awareness material from this measure yet." in _measure_materials(client.get("/measures/t-2-01?lang=en").text)
    assert "この施策による啓発資料はまだありません。" in _measure_materials(client.get("/measures/t-2-01?lang=ja").text)
    public = client.get("/api/v1/measures/t-1-01").json()
    assert [(x["id"], x["state"], x["url"], x["agency"]) for x in public["materials"]] == [
        (guide.id, "published", GUIDE["url"], "MIC")]
    assert public["id"] == "t-1-01" and public["amendments"] == []                  # the rest of the measure is unchanged
    assert client.get("/api/v1/measures/t-2-01").json()["materials"] == []
    # staff see the draft too, marked; the measure's agency officer gets the link to keep material
    login_as(mic)
    staff = _measure_materials(client.get("/measures/t-1-01?lang=ja").text)
    kids_item = staff[staff.index(f'id="material-{kids.id}"'):]
    assert "スマホのルール" in kids_item and "下書き（ポータル未掲載）" in kids_item.split("</li>")[0]
    assert "下書き" not in staff[staff.index(f'id="material-{guide.id}"'):].split("</li>")[0]
    assert "古いリーフレット" not in staff and 'href="/followup/materials"' in staff
    assert [(x["id"], x["state"]) for x in client.get("/api/v1/measures/t-1-01").json()["materials"]] == [
        (guide.id, "published"), (kids.id, "draft")]
    login_as(make_user(roles.AGENCY_OFFICER, agency="NPA"))                     # not NPA's material, but its measure
    assert 'href="/followup/materials"' in _measure_materials(client.get("/measures/t-1-01").text)
    assert 'href="/followup/materials"' not in _measure_materials(client.get("/measures/t-1-02").text)
