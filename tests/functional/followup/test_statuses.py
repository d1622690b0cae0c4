"""The configurable status list (rounds.set_status): the plan office adds a status or changes one with its
progress percentage, through the page /followup/statuses and through PUT /api/v1/followup/statuses/{key};
a percentage outside 0 to 100, an empty label or a bad key is refused and changes nothing."""

from __future__ import annotations

import re

import pytest
from tests.factories.followup import reporting_round

from mamoru.auth import roles

API = "/api/v1/followup/statuses"


def _row(page: str, key: str) -> str:
    """The text of the status list's row for `key` (tags stripped), or '' when there is none."""
    m = re.search(rf'<tr id="status-{key}">(.*?)</tr>', page, re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", m.group(1)).split()) if m else ""


def _form(csrf: str, key: str, en: str, ja: str, progress: str, implemented: bool = False,
          active: bool = True) -> dict[str, str]:
    data = {"csrf_token": csrf, "key": key, "label_en": en, "label_ja": ja, "progress": progress}
    if implemented:
        data["implemented"] = "on"
    if active:
        data["active"] = "on"
    return data


def _entry_options(client, round_id: int) -> list[str]:  # type: ignore[no-untyped-def]
    page = client.get(f"/followup/rounds/{round_id}/entries?agency=CAO").text
    eid = re.search(r'href="/followup/entries/(\d+)"', page).group(1)  # type: ignore[union-attr]
    form = client.get(f"/followup/entries/{eid}?lang=ja").text
    select = re.search(r'<select name="status">(.*?)</select>', form, re.S).group(1)  # type: ignore[union-attr]
    return [re.sub(r"\s+", " ", o).strip() for o in re.findall(r"<option [^>]*>([^<]*)</option>", select)]


def test_page_adds_and_changes_statuses_with_their_progress(client, fu, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    r = reporting_round(fu)
    csrf = login_as(make_user(roles.COORDINATOR))
    page = client.get("/followup/statuses?lang=ja").text
    assert _row(page, "in_progress") == "in_progress 実施中 / In progress 50% いいえ はい"
    added = client.post("/followup/statuses", data=_form(csrf, "partly", "Partly implemented", "一部実施", "70",
                                                         implemented=True), follow_redirects=False)
    assert added.status_code == 303
    changed = client.post("/followup/statuses", data=_form(csrf, "in_progress", "Under way", "取組中", "60"),
                          follow_redirects=False)
    assert changed.status_code == 303
    retired = client.post("/followup/statuses", data=_form(csrf, "delayed", "Delayed", "遅延", "25", active=False),
                          follow_redirects=False)
    assert retired.status_code == 303
    page = client.get("/followup/statuses?lang=ja").text
    assert _row(page, "partly") == "partly 一部実施 / Partly implemented 70% はい はい"
    assert _row(page, "in_progress") == "in_progress 取組中 / Under way 60% いいえ はい"
    assert _row(page, "delayed") == "delayed 遅延 / Delayed 25% いいえ いいえ"          # out of use, kept
    # agency officers choose from the list as changed: new label and percentage, the new status, not the retired one
    options = _entry_options(client, r.id)
    assert "取組中 (60%)" in options and "一部実施 (70%)" in options and "実施中 (50%)" not in options
    assert not any(o.startswith("遅延") for o in options)


@pytest.mark.parametrize(("form", "problem"), [
    (("in_progress", "In progress", "実施中", "101"), "progress: a percentage from 0 to 100"),
    (("in_progress", "In progress", "実施中", "-1"), "progress: a percentage from 0 to 100"),
    (("in_progress", "In progress", "  ", "60"), "label: a label in both languages"),
    (("brand_new", "", "新しい区分", "10"), "label: a label in both languages"),
    (("bad key!", "Bad", "不正", "10"), "key: use letters, digits and _"),
    (("", "Nameless", "名無し", "10"), "key: use letters, digits and _"),
])
def test_page_refuses_bad_input_and_changes_nothing(client, fu, make_user, login_as, form: tuple[str, ...],
                                                    problem: str) -> None:
    csrf = login_as(make_user(roles.COORDINATOR))
    before = client.get("/followup/statuses?lang=en").text
    resp = client.post("/followup/statuses", data=_form(csrf, *form), follow_redirects=False)
    assert resp.status_code == 422
    assert problem in resp.text and 'role="alert"' in resp.text
    after = client.get("/followup/statuses?lang=en").text
    assert _row(after, "in_progress") == _row(before, "in_progress") == "in_progress 実施中 / In progress 50% no yes"
    assert after.count('<tr id="status-') == 5


def test_page_is_for_the_plan_office_only(client, fu, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    csrf = login_as(make_user(roles.AGENCY_OFFICER, agency="NPA"))
    assert client.get("/followup/statuses").status_code == 200                   # officers may read the list
    refused = client.post("/followup/statuses", data=_form(csrf, "in_progress", "x", "x", "0"), follow_redirects=False)
    assert refused.status_code == 403
    csrf = login_as(make_user(roles.COORDINATOR))
    assert _row(client.get("/followup/statuses?lang=en").text, "in_progress").endswith("50% no yes")


@pytest.fixture
def tokens(fu, make_user, api_token) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    def bearer(role: str, agency: str | None = None, scopes: tuple[str, ...] = ("plan:read", "plan:write")) -> dict[str, str]:
        return {"Authorization": f"Bearer {api_token(make_user(role, agency=agency), list(scopes))}"}

    return {"office": bearer(roles.COORDINATOR), "officer": bearer(roles.AGENCY_OFFICER, "NPA"),
            "auditor": bearer(roles.AUDITOR, scopes=("plan:read",)), "analyst": bearer(roles.ANALYST, scopes=("plan:read",))}


def _statuses(client, headers) -> dict[str, dict[str, object]]:  # type: ignore[no-untyped-def]
    resp = client.get(API, headers=headers)
    assert resp.status_code == 200, resp.text
    return {s["key"]: s for s in resp.json()}


def test_api_adds_and_changes_statuses(client, tokens) -> None:  # type: ignore[no-untyped-def]
    office = tokens["office"]
    listed = _statuses(client, office)
    assert list(listed) == ["not_started", "in_progress", "implemented", "continuing", "delayed"]
    assert listed["in_progress"]["progress"] == 50 and listed["implemented"]["implemented"] is True
    added = client.put(f"{API}/partly", headers=office, json={"label_en": "Partly implemented", "label_ja": "一部実施",
                                                              "progress": 70, "implemented": True})
    assert added.status_code == 200, added.text
    assert added.json() == {"key": "partly", "label_en": "Partly implemented", "label_ja": "一部実施", "progress": 70,
                            "implemented": True, "active": True, "position": 6}
    changed = client.put(f"{API}/in_progress", headers=office, json={"label_en": "In progress", "label_ja": "実施中",
                                                                     "progress": 40, "active": False})
    assert changed.status_code == 200 and changed.json()["progress"] == 40 and changed.json()["active"] is False
    listed = _statuses(client, tokens["officer"])                                 # officers read the list too
    assert listed["partly"]["progress"] == 70 and listed["in_progress"]["progress"] == 40
    assert listed["in_progress"]["active"] is False and listed["in_progress"]["position"] == 2


@pytest.mark.parametrize(("key", "body", "field"), [
    ("in_progress", {"label_en": "In progress", "label_ja": "実施中", "progress": 101}, "progress"),
    ("in_progress", {"label_en": "In progress", "label_ja": "実施中", "progress": -5}, "progress"),
    ("in_progress", {"label_en": "", "label_ja": "実施中", "progress": 60}, "label"),
    ("brand_new", {"label_en": "New", "label_ja": "   ", "progress": 10}, "label"),
    ("bad key", {"label_en": "Bad", "label_ja": "不正", "progress": 10}, "key"),
])
def test_api_refuses_bad_input_and_changes_nothing(client, tokens, key: str, body: dict[str, object],
                                                   field: str) -> None:
    resp = client.put(f"{API}/{key}", headers=tokens["office"], json=body)
    assert resp.status_code == 422, resp.text
    assert field in [p["field"] for p in resp.json()["problems"]]
    listed = _statuses(client, tokens["office"])
    assert len(listed) == 5 and listed["in_progress"]["progress"] == 50 and listed["in_progress"]["label_en"] == "In progress"


def test_api_is_for_the_plan_office_only(client, tokens) -> None:  # type: ignore[no-untyped-def]
    body = {"label_en": "x", "label_ja": "x", "progress": 0}
    assert client.put(f"{API}/in_progress", headers=tokens["officer"], json=body).status_code == 403
    assert client.put(f"{API}/in_progress", headers=tokens["auditor"], json=body).status_code == 403
    assert client.get(API, headers=tokens["auditor"]).status_code == 200             # staff read the list
    assert client.get(API, headers=tokens["analyst"]).status_code == 403             # outside the plan office's staff
    assert client.get(API).status_code == 401
    assert _statuses(client, tokens["office"])["in_progress"]["label_en"] == "In progress"
