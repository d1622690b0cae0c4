"""The follow-up's JSON API beyond rounds: indicators, prefecture status, consultation services,
meetings and decisions, WePROTECT alignment. Who may write (the plan office; an owner agency for its
action items), what agency officers and the public are refused, what the public may read."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from tests.factories.followup import reference

from mamoru.auth import roles


@dataclass
class People:
    office: dict[str, str]
    second: dict[str, str]
    officer: dict[str, str]
    public: dict[str, str]


@pytest.fixture
def people(fu, make_user, api_token) -> People:  # type: ignore[no-untyped-def]
    reference(fu)
    scopes = ["plan:read", "plan:write"]

    def bearer(user: object, scopes: list[str] = scopes) -> dict[str, str]:
        return {"Authorization": f"Bearer {api_token(user, scopes)}"}

    # "the public" with a key: a blocking-list subscriber (outside the plan office and the agencies)
    return People(bearer(make_user(roles.COORDINATOR)), bearer(make_user(roles.COORDINATOR)),
                  bearer(make_user(roles.AGENCY_OFFICER, agency="NPA")),
                  bearer(make_user(roles.SUBSCRIBER), ["feed"]))


def test_indicators_definitions_values_corrections_and_computed(client, people) -> None:  # type: ignore[no-untyped-def]
    listing = client.get("/api/v1/followup/indicators").json()  # public, no login
    cp = next(i for i in listing if i["code"] == "cp-victims")
    assert cp["title_ja"] and all(p["source"] for p in cp["current"])
    value = {"period": "2022", "value": 1490, "status": "provisional", "source": "NPA (test correction)"}
    for who in (people.officer, people.public):
        assert client.post("/api/v1/followup/indicators/cp-victims/values", json=value, headers=who).status_code == 403
    anonymous = client.post("/api/v1/followup/indicators/cp-victims/values", json=value)
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Bearer"  # not a CSRF 403
    twice = client.post("/api/v1/followup/indicators/cp-victims/values", json=value, headers=people.office)
    assert twice.status_code == 422 and twice.json()["problems"][0]["field"] == "period"  # 2022 has a value
    published = next(v for v in client.get("/api/v1/followup/indicators/cp-victims").json()["values"]
                     if v["period"] == "2022")
    r = client.post("/api/v1/followup/indicators/cp-victims/values", json={**value, "corrects": published["id"]},
                    headers=people.office)
    assert r.status_code == 201 and r.json()["status"] == "provisional" and r.json()["review"] == "draft"
    assert {p["period"]: p for p in client.get("/api/v1/followup/indicators/cp-victims").json()["current"]}[
        "2022"]["value"] == 1487  # a draft is not public
    approve = f"/api/v1/followup/indicators/cp-victims/values/{r.json()['id']}/approve"
    assert client.post(approve, headers=people.office).status_code == 403  # the one who entered it
    assert client.post(approve, headers=people.second).status_code == 200
    one = client.get("/api/v1/followup/indicators/cp-victims").json()
    now = {p["period"]: p for p in one["current"]}["2022"]
    assert now["value"] == 1490 and now["supersedes"] == [1487]
    old = [v for v in one["values"] if v["period"] == "2022" and v["value"] == 1487]
    assert old and old[0]["superseded_by"] == r.json()["id"]  # the earlier value is kept
    bad = client.post("/api/v1/followup/indicators/cp-victims/values", json={**value, "source": " "}, headers=people.office)
    assert bad.status_code == 422 and bad.json()["problems"][0]["field"] == "source"
    new = {"title_en": "Schools teaching filtering", "title_ja": "フィルタリング指導を行う学校", "direction": "higher",
           "period_type": "fiscal", "unit_en": "%", "unit_ja": "%", "measures": ["t-1-01"], "target_value": 90}
    assert client.put("/api/v1/followup/indicators/school-filtering", json=new, headers=people.officer).status_code == 403
    made = client.put("/api/v1/followup/indicators/school-filtering", json=new, headers=people.office)
    assert made.status_code == 200 and made.json()["direction"] == "higher" and made.json()["current"] == []
    assert client.put("/api/v1/followup/indicators/school-filtering", json={"direction": "up"},
                      headers=people.office).status_code == 422
    computed = client.get("/api/v1/followup/indicators/measures-implemented-share/computed")
    assert computed.status_code == 200 and computed.json() == []  # no published round yet
    assert client.get("/api/v1/followup/indicators/cp-victims/computed").status_code == 404


def test_prefecture_status_public_only_when_published(client, people) -> None:  # type: ignore[no-untyped-def]
    url = "/api/v1/followup/prefectures/t-2-01"
    body = {"status": "done", "since": "2017-07-01", "note": "条例制定"}
    assert client.put(f"{url}/13", json=body, headers=people.officer).status_code == 403
    assert client.put(f"{url}/13", json=body, headers=people.public).status_code == 403
    assert client.put(f"{url}/13", json=body).status_code == 401  # anonymous: log in first, not a CSRF 403
    r = client.put(f"{url}/13", json=body, headers=people.office)
    assert r.status_code == 200 and r.json()["counts"]["done"] == 1 and r.json()["published"] is False
    assert client.put(f"{url}/48", json=body, headers=people.office).status_code == 404
    assert client.put(f"{url}/27", json={"status": "maybe"}, headers=people.office).status_code == 422
    assert client.get(url).status_code == 404  # not published: the public sees nothing
    assert client.get("/api/v1/followup/prefectures").json() == []
    assert client.get(url, headers=people.officer).json()["counts"]["done"] == 1  # staff see it
    assert client.post(f"{url}/publish", headers=people.officer).status_code == 403
    assert client.post(f"{url}/publish", headers=people.office).json()["published"] is True
    tokyo = {p["code"]: p for p in client.get(url).json()["prefectures"]}["13"]
    assert tokyo["status"] == "done" and tokyo["name_ja"] == "東京都" and tokyo["since"] == "2017-07-01"
    assert [m["measure"] for m in client.get("/api/v1/followup/prefectures").json()] == ["t-2-01"]
    client.post(f"{url}/withdraw", headers=people.office)
    assert client.get(url).status_code == 404


def test_consultation_services_national_shipped_prefectural_kept_by_office(client, people) -> None:  # type: ignore[no-untyped-def]
    svc = {"prefecture": "13", "name_ja": "東京都 子供の相談窓口", "name_en": "Tokyo children's line",
           "phone": "03-0000-0000", "what_ja": "こまったら電話してね。", "url": "https://example.jp/tokyo"}
    for who in (people.officer, people.public):
        assert client.post("/api/v1/followup/services", json=svc, headers=who).status_code == 403
    made = client.post("/api/v1/followup/services", json=svc, headers=people.office)
    assert made.status_code == 201 and made.json()["scope"] == "prefectural" and made.json()["prefecture"] == "13"
    assert client.post("/api/v1/followup/services", json={**svc, "url": "javascript:x"},
                       headers=people.office).status_code == 422
    public = client.get("/api/v1/followup/services?prefecture=13").json()
    assert {s["phone"] for s in public} >= {"189", "#9110", "#8891", "03-0000-0000"}
    assert "03-0000-0000" not in {s["phone"] for s in client.get("/api/v1/followup/services?prefecture=27").json()}
    key = made.json()["key"]
    assert client.patch(f"/api/v1/followup/services/{key}", json={"active": False},
                        headers=people.officer).status_code == 403
    assert client.patch("/api/v1/followup/services/jidou-soudan-189", json={"phone": "000"},
                        headers=people.office).status_code == 409  # national ones are shipped
    assert client.patch(f"/api/v1/followup/services/{key}", json={"active": False},
                        headers=people.office).json()["active"] is False
    assert "03-0000-0000" not in {s["phone"] for s in client.get("/api/v1/followup/services").json()}


def test_withdrawn_services_listed_for_staff_only(client, people) -> None:  # type: ignore[no-untyped-def]
    svc = {"prefecture": "27", "name_ja": "大阪府 こども相談", "phone": "06-0000-0000"}
    key = client.post("/api/v1/followup/services", json=svc, headers=people.office).json()["key"]
    client.patch(f"/api/v1/followup/services/{key}", json={"active": False}, headers=people.office)
    assert key not in {s["key"] for s in client.get("/api/v1/followup/services?withdrawn=true").json()}
    staff = client.get("/api/v1/followup/services?withdrawn=true", headers=people.office).json()
    assert {s["key"]: s["active"] for s in staff}[key] is False
    restored = client.patch(f"/api/v1/followup/services/{key}", json={"active": True}, headers=people.office)
    assert restored.json()["active"] is True and key in {s["key"] for s in client.get("/api/v1/followup/services").json()}


def test_bodies_meetings_decisions_and_action_items(client, people) -> None:  # type: ignore[no-untyped-def]
    bodies = {b["key"]: b for b in client.get("/api/v1/followup/bodies", headers=people.officer).json()}
    assert bodies["ministerial-meeting-crime"]["chair_en"] == "Prime Minister" and bodies["dg-liaison-meeting"]["names"]
    assert client.get("/api/v1/followup/bodies").status_code == 401
    assert client.get("/api/v1/followup/meetings", headers=people.public).status_code == 403
    rename = {"new_name_en": "Council on children online", "new_name_ja": "こどもオンライン協議会", "renamed_on": "2025-04-01",
              "chair_ja": "こども家庭庁長官"}
    assert client.patch("/api/v1/followup/bodies/public-private-council", json=rename,
                        headers=people.officer).status_code == 403
    b = client.patch("/api/v1/followup/bodies/public-private-council", json=rename, headers=people.office).json()
    assert b["name_ja"] == "こどもオンライン協議会" and b["chair_ja"] == "こども家庭庁長官"
    assert [n["valid_to"] for n in b["names"]] == ["2025-03-31", ""] and b["names"][0]["name_ja"].startswith("子供の性被害")
    meeting = {"held_on": "2025-03-01", "number": 17, "title_en": "Joint meeting", "title_ja": "合同会議",
               "bodies": ["dg-liaison-meeting", "public-private-council"], "attendees": [{"name": "A", "agency": "CFA"}],
               "agenda": [{"ja": "報告書の了承", "en": "Approval of the report"}],
               "materials": [{"title": "資料1", "url": "https://www.cfa.go.jp/x.pdf"}]}
    assert client.post("/api/v1/followup/meetings", json=meeting, headers=people.officer).status_code == 403
    assert client.post("/api/v1/followup/meetings", json={**meeting, "bodies": ["nope"]},
                       headers=people.office).status_code == 422
    m = client.post("/api/v1/followup/meetings", json=meeting, headers=people.office).json()
    assert m["joint"] is True and m["materials"][0]["url"].endswith("x.pdf")
    mid = m["id"]
    d = client.post(f"/api/v1/followup/meetings/{mid}/decisions", json={"kind": "amend_founding_decision",
                                                                        "text_ja": "申合せ改正"}, headers=people.office)
    assert d.status_code == 201
    assert client.post(f"/api/v1/followup/meetings/{mid}/decisions", json={"kind": "vote"},
                       headers=people.office).status_code == 422
    items = [("t-1-01", "NPA", "2020-01-31"), ("t-3-02", "MIC", "2099-12-31"), ("t-1-02", "NPA", "2099-01-31")]
    ids = []
    for uid, owner, due in items:
        a = client.post(f"/api/v1/followup/meetings/{mid}/actions", headers=people.office,
                        json={"text_ja": "対応", "measure": uid, "owner": owner, "due_on": due})
        assert a.status_code == 201
        ids.append(a.json()["id"])
    assert client.post(f"/api/v1/followup/meetings/{mid}/actions", json={"owner": "NPA"},
                       headers=people.officer).status_code == 403
    npa = client.get("/api/v1/followup/actions?owner=NPA", headers=people.officer).json()
    assert [a["due_on"] for a in npa] == ["2020-01-31", "2099-01-31"] and npa[0]["overdue"] is True
    assert [a["id"] for a in client.get("/api/v1/followup/actions?overdue=true", headers=people.office).json()] == [ids[0]]
    assert client.patch(f"/api/v1/followup/actions/{ids[1]}", json={"done": True},
                        headers=people.officer).status_code == 403  # MIC's item
    done = client.patch(f"/api/v1/followup/actions/{ids[0]}", json={"done": True}, headers=people.officer).json()
    assert done["done"] is True and done["overdue"] is False
    assert client.get("/api/v1/followup/actions?overdue=true", headers=people.office).json() == []
    got = client.get(f"/api/v1/followup/meetings/{mid}", headers=people.officer).json()
    assert got["decisions"][0]["kind"] == "amend_founding_decision" and len(got["actions"]) == 3


def test_weprotect_coverage_mapping_and_maturity(client, people) -> None:  # type: ignore[no-untyped-def]
    cov = client.get("/api/v1/followup/alignment", headers=people.officer).json()
    assert len(cov["capabilities"]) == 21 and cov["uncovered"] == list(range(1, 22))
    url = "/api/v1/followup/alignment/capabilities/4/measures/t-3-01"
    assert client.put(url, headers=people.officer).status_code == 403
    assert client.put(url, headers=people.public).status_code == 403
    cov = client.put(url, headers=people.office).json()
    assert 4 not in cov["uncovered"] and len(cov["uncovered"]) == 20
    assert client.put("/api/v1/followup/alignment/capabilities/22/measures/t-3-01", headers=people.office).status_code == 404
    assess = "/api/v1/followup/alignment/capabilities/4/assessments"
    assert client.post(assess, json={"phase": 3, "assessed_on": "2025-01-10"}, headers=people.officer).status_code == 403
    assert client.post(assess, json={"phase": 5, "assessed_on": "2025-01-10"}, headers=people.office).status_code == 422
    client.post(assess, json={"phase": 3, "assessed_on": "2025-01-10", "note": "自己評価"}, headers=people.office)
    client.post(assess, json={"phase": 2, "assessed_on": "2024-01-10"}, headers=people.office)
    four = client.get("/api/v1/followup/alignment", headers=people.office).json()["capabilities"][3]
    assert four["measures"] == ["t-3-01"] and four["maturity"]["phase"] == 3
    assert [a["assessed_on"] for a in four["history"]] == ["2024-01-10", "2025-01-10"]
    assert client.delete(url, headers=people.office).json()["uncovered"] == list(range(1, 22))
