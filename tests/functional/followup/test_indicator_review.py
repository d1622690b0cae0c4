"""Indicator values as a statistics office publishes them: hostile values refused with their reason (API,
page form, command line) and nothing public; drafts public only once a second person of the plan office
approves them; withdrawal with a reason, kept in the history; each indicator's public page in both
languages and its CSV and JSON downloads."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import pytest
from tests.conftest import login
from tests.factories.followup import reference

from mamoru.auth import roles

API = "/api/v1/followup/indicators"


@dataclass
class Office:
    entering: dict[str, str]
    second: dict[str, str]
    auditor: dict[str, str]
    officer: dict[str, str]
    reader: dict[str, str]  # a plan-office account holding a read-only token
    users: dict[str, object]


@pytest.fixture
def office(fu, make_user, api_token) -> Office:  # type: ignore[no-untyped-def]
    reference(fu)
    made = {"entering": make_user(roles.COORDINATOR), "second": make_user(roles.COORDINATOR),
            "auditor": make_user(roles.AUDITOR), "officer": make_user(roles.AGENCY_OFFICER, agency="NPA")}

    def bearer(user: object, scopes: tuple[str, ...] = ("plan:read", "plan:write")) -> dict[str, str]:
        return {"Authorization": f"Bearer {api_token(user, list(scopes))}"}

    return Office(bearer(made["entering"]), bearer(made["second"]), bearer(made["auditor"], ("plan:read",)),
                  bearer(made["officer"]),
                  bearer(made["second"], ("plan:read",)), made)


def _public(client, code: str) -> tuple[object, str, str]:  # type: ignore[no-untyped-def]
    """What the public sees of an indicator: its API document, its page, its CSV."""
    return (client.get(f"{API}/{code}").json(), client.get(f"/portal/indicators/{code}?lang=en").text,
            client.get(f"/portal/indicators/{code}/data.csv").text)


HOSTILE = [  # (indicator, value sent, field refused, words of the Japanese reason)
    ("cp-victims", {"period": "banana", "value": 10}, "period", "2023"),
    ("cp-victims", {"period": "FY2023", "value": 10}, "period", "暦年"),  # a calendar-year indicator
    ("cp-victims", {"period": "2999", "value": 10}, "period", "まだ始まっていません"),
    ("cp-victims", {"period": "2023", "value": -5}, "value", "0以上"),
    ("cp-victims", {"period": "2023", "value": 2.5}, "value", "整数"),
    ("minors-filtering-share", {"period": "2023", "value": 50}, "period", "FY2023"),  # a fiscal-year indicator
    ("minors-filtering-share", {"period": "FY2023", "value": 101}, "value", "0から100"),
    ("icsa-isps", {"period": "2011", "value": 9}, "period", "2023-07"),  # a monthly indicator
    ("victims-by-age", {"period": "2023", "value": 3, "category": "age:toddler"}, "category", "age:elementary"),
    ("cp-victims", {"period": "2023", "value": 3, "category": "sex:female"}, "category", "内訳"),
    ("cp-victims", {"period": "2022", "value": 1500}, "period", "訂正"),  # 2022 is published already
]


def test_hostile_values_are_refused_with_their_reason_and_nothing_is_public(client, office) -> None:  # type: ignore[no-untyped-def]
    codes = sorted({code for code, *_ in HOSTILE})
    before = {code: _public(client, code) for code in codes}
    for code, body, field, words in HOSTILE:
        r = client.post(f"{API}/{code}/values?lang=ja", json={"source": "test figures", **body}, headers=office.entering)
        assert r.status_code == 422, (body, r.text)
        problem = r.json()["problems"][0]
        assert problem["field"] == field and words in problem["text"], (body, problem)
    assert {code: _public(client, code) for code in codes} == before  # nothing public changed
    for code in codes:  # not even a draft was kept
        staff = client.get(f"{API}/{code}", headers=office.entering).json()
        assert [v for v in staff["values"] if v["review"] != "approved"] == [], code


def test_the_same_period_twice_is_refused_while_a_draft_waits(client, office) -> None:  # type: ignore[no-untyped-def]
    value = {"period": "2023", "value": 1600, "source": "NPA (test)"}
    assert client.post(f"{API}/cp-victims/values", json=value, headers=office.entering).status_code == 201
    again = client.post(f"{API}/cp-victims/values", json={**value, "value": 1700}, headers=office.second)
    assert again.status_code == 422 and "waiting for review" in again.json()["problems"][0]["reason"]
    en = client.post(f"{API}/cp-victims/values?lang=en", json=value, headers=office.second).json()
    assert "already has a value waiting for review" in en["problems"][0]["text"]
    document, page, data = _public(client, "cp-victims")
    assert "2023" not in {p["period"] for p in document["current"]}  # type: ignore[index]
    assert "1,600" not in page and ",2023," not in data


def test_draft_is_public_only_after_a_second_person_approves(client, office) -> None:  # type: ignore[no-untyped-def]
    made = client.post(f"{API}/cp-victims/values", json={"period": "2023", "value": 1600, "source": "NPA (test)"},
                       headers=office.entering).json()
    approve = f"{API}/cp-victims/values/{made['id']}/approve"
    assert client.post(approve, headers=office.entering).status_code == 403  # the one who entered it
    for other in (office.auditor, office.officer):
        assert client.post(approve, headers=other).status_code == 403
    assert client.post(approve, headers=office.reader).status_code == 403  # a read-only token
    assert client.post(approve).status_code == 401
    document, page, data = _public(client, "cp-victims")
    assert "2023" not in {p["period"] for p in document["current"]}  # type: ignore[index]
    assert all(v["review"] == "approved" for v in document["values"])  # type: ignore[index]
    assert 'data-period="2023"' not in page and "cp-victims,2023," not in data
    ok = client.post(approve, headers=office.second)
    assert ok.status_code == 200 and ok.json()["review"] == "approved"
    assert client.post(approve, headers=office.second).status_code == 409  # approved once
    document, page, data = _public(client, "cp-victims")
    assert {p["period"]: p["value"] for p in document["current"]}["2023"] == 1600  # type: ignore[index]
    assert 'data-period="2023"' in page and "cp-victims,2023,,,1600," in data


def test_withdrawal_needs_a_reason_keeps_the_history_and_is_noted_publicly(client, office) -> None:  # type: ignore[no-untyped-def]
    document = client.get(f"{API}/cp-victims").json()
    published = next(v for v in document["values"] if v["period"] == "2022")
    url = f"{API}/cp-victims/values/{published['id']}/withdraw"
    assert client.post(url, json={"reason": "  "}, headers=office.entering).status_code == 422
    assert client.post(url, json={"reason": "重複"}, headers=office.officer).status_code == 403
    r = client.post(url, json={"reason": "集計の誤りが判明したため"}, headers=office.entering)
    assert r.status_code == 200 and r.json()["review"] == "withdrawn"
    document, page, data = _public(client, "cp-victims")
    assert "2022" not in {p["period"] for p in document["current"]}  # type: ignore[index]
    assert document["withdrawn"] == [{"period": "2022", "category": "", "withdrawn_at": r.json()["withdrawn_at"],  # type: ignore[index]
                                      "reason": "集計の誤りが判明したため"}]
    assert "cp-victims,2022," not in data
    assert 'id="withdrawn"' in page and "集計の誤りが判明したため" in page and 'data-period="2022"' not in page
    staff = {v["id"]: v for v in client.get(f"{API}/cp-victims", headers=office.second).json()["values"]}
    assert staff[published["id"]]["withdrawn_reason"] == "集計の誤りが判明したため"  # kept in the history
    assert client.post(url, json={"reason": "again"}, headers=office.entering).status_code == 409
    # a withdrawn draft was never public: the public sees no note of it
    draft = client.post(f"{API}/cp-victims/values", json={"period": "2023", "value": 1, "source": "typo"},
                        headers=office.entering).json()
    assert client.post(f"{API}/cp-victims/values/{draft['id']}/withdraw", json={"reason": "入力の誤り"},
                       headers=office.second).status_code == 200
    assert [w["period"] for w in client.get(f"{API}/cp-victims").json()["withdrawn"]] == ["2022"]


def test_withdrawn_correction_lets_the_corrected_value_stand_again(client, office) -> None:  # type: ignore[no-untyped-def]
    published = next(v for v in client.get(f"{API}/cp-victims").json()["values"] if v["period"] == "2022")
    fix = client.post(f"{API}/cp-victims/values", json={"period": "2022", "value": 1490, "source": "NPA (test)",
                                                        "corrects": published["id"]}, headers=office.entering).json()
    client.post(f"{API}/cp-victims/values/{fix['id']}/approve", headers=office.second).raise_for_status()
    current = {p["period"]: p for p in client.get(f"{API}/cp-victims").json()["current"]}
    assert current["2022"]["value"] == 1490 and current["2022"]["supersedes"] == [1487]
    client.post(f"{API}/cp-victims/values/{fix['id']}/withdraw", json={"reason": "訂正は誤り"},
                headers=office.second).raise_for_status()
    current = {p["period"]: p for p in client.get(f"{API}/cp-victims").json()["current"]}
    assert current["2022"]["value"] == 1487 and current["2022"]["supersedes"] == []


def test_page_form_refuses_in_the_readers_language_keeps_the_input_and_reviews(client, office) -> None:  # type: ignore[no-untyped-def]
    token = login(client, office.users["entering"].username)  # type: ignore[attr-defined]
    form = {"csrf_token": token, "period": "banana", "value": "-5", "status": "final", "source": "手入力の出典"}
    r = client.post("/followup/indicators/cp-victims/values?lang=ja", data=form)
    assert r.status_code == 422
    assert "暦年" in r.text and "0以上" in r.text  # both reasons, in Japanese
    assert 'value="banana"' in r.text and 'value="手入力の出典"' in r.text  # what was typed is kept
    ok = client.post("/followup/indicators/cp-victims/values", data={**form, "period": "2023", "value": "1600"},
                     follow_redirects=False)
    assert ok.status_code == 303
    page = client.get("/followup/indicators/cp-victims?lang=en").text
    draft = re.search(r'<tr id="value-(\d+)" data-review="draft"', page)
    assert draft and "Another person of the plan office approves it." in page  # no approve button for them
    refused = client.post(f"/followup/indicators/cp-victims/values/{draft.group(1)}/approve?lang=en",
                          data={"csrf_token": token})
    assert refused.status_code == 403 and "a second person approves a value" in refused.text
    client.cookies.clear()
    token = login(client, office.users["second"].username)  # type: ignore[attr-defined]
    assert client.post(f"/followup/indicators/cp-victims/values/{draft.group(1)}/approve", data={"csrf_token": token},
                       follow_redirects=False).status_code == 303
    no_reason = client.post(f"/followup/indicators/cp-victims/values/{draft.group(1)}/withdraw?lang=ja",
                            data={"csrf_token": token, "reason": ""})
    assert no_reason.status_code == 422 and "取り下げる理由" in no_reason.text
    assert client.post(f"/followup/indicators/cp-victims/values/{draft.group(1)}/withdraw",
                       data={"csrf_token": token, "reason": "出典の確認待ち"}, follow_redirects=False).status_code == 303
    history = client.get("/followup/indicators/cp-victims?lang=ja").text
    assert f'<tr id="value-{draft.group(1)}" data-review="withdrawn"' in history and "出典の確認待ち" in history


def test_public_page_in_both_languages_with_breakdown_target_and_metadata(client, office) -> None:  # type: ignore[no-untyped-def]
    for category, value in (("", 30), ("age:elementary", 12), ("age:junior-high", 18)):
        made = client.post(f"{API}/victims-by-age/values", json={"period": "2023", "value": value,
                                                                  "category": category, "source": "NPA (test)"},
                           headers=office.entering).json()
        client.post(f"{API}/victims-by-age/values/{made['id']}/approve", headers=office.second).raise_for_status()
    ja = client.get("/portal/indicators/victims-by-age?lang=ja").text
    en = client.get("/portal/indicators/victims-by-age?lang=en").text
    assert "被害児童の学職別・年齢層別の内訳" in ja and "Child victims by age band" in en
    assert "内訳：年齢層" in ja and "Breakdown: Age group" in en
    assert "小学生" in ja and "Elementary school" in en and "<svg" in ja
    assert "暦年" in ja and "Calendar year" in en and "人" in ja and "Periodicity" in en
    target = client.get("/portal/indicators/prefectures-jk-ordinance?lang=en").text
    assert "Target" in target and "47" in target and "Fiscal year (April to March)" in target
    assert client.get("/portal/indicators/no-such-thing").status_code == 404


def test_downloads_are_utf8_csv_and_json_of_the_public_figures(client, office) -> None:  # type: ignore[no-untyped-def]
    client.post(f"{API}/cp-victims/values", json={"period": "2023", "value": 1600, "source": "草案"},
                headers=office.entering).raise_for_status()  # a draft: in neither download
    r = client.get("/portal/indicators/sns-victims/data.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert not r.content.startswith(b"\xef\xbb\xbf")  # no byte-order mark
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8"))))
    assert rows[0].keys() >= {"indicator", "period", "value", "status", "source", "unit_ja"}
    by_period = {row["period"]: row for row in rows}
    assert by_period["2019"]["value"] == "2082" and by_period["2019"]["corrects"] == "2095"
    assert by_period["2019"]["unit_ja"] == "人"
    j = client.get("/portal/indicators/cp-victims/data.json")
    assert j.status_code == 200 and j.headers["content-type"] == "application/json"
    doc = j.json()
    assert doc["indicator"]["title_ja"] and doc["indicator"]["periodicity"] == "yearly"
    assert doc["indicator"]["measures"] == ["bp17-5-02", "bp17-6-01"]
    assert "2023" not in {v["period"] for v in doc["values"]} and doc["withdrawn"] == []
    cp_rows = csv.DictReader(io.StringIO(client.get("/portal/indicators/cp-victims/data.csv").text))
    assert "2023" not in {row["period"] for row in cp_rows}


def test_command_line_enters_approves_and_withdraws(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("plan", "load").exit_code == 0
    assert cli("indicator", "load").exit_code == 0
    for name in ("office", "second"):
        assert cli("user", "add", name, "--role", "coordinator").exit_code == 0
    bad = cli("indicator", "add", "cp-victims", "--period", "banana", "--value", "-5", "--source", "x", "--as", "office")
    assert bad.exit_code == 2 and "period:" in bad.output and "value:" in bad.output
    twice = cli("indicator", "add", "cp-victims", "--period", "2022", "--value", "1", "--source", "x", "--as", "office")
    assert twice.exit_code == 2 and "correction" in twice.output
    made = cli("indicator", "add", "cp-victims", "--period", "2023", "--value", "1600", "--source", "NPA",
               "--as", "office")
    assert made.exit_code == 0
    value_id = made.stdout.strip()
    assert cli("indicator", "approve", "cp-victims", value_id, "--as", "office").exit_code == 1  # who entered it
    assert cli("indicator", "approve", "cp-victims", value_id, "--as", "second").exit_code == 0
    listed = cli("indicator", "values", "cp-victims")
    assert f"{value_id}\t2023\t-\t1600\tfinal\tapproved\toffice" in listed.stdout
    assert cli("indicator", "withdraw", "cp-victims", value_id, "--reason", " ", "--as", "second").exit_code == 2
    assert cli("indicator", "withdraw", "cp-victims", value_id, "--reason", "誤り", "--as", "second").exit_code == 0
    assert f"{value_id}\t2023\t-\t1600\tfinal\twithdrawn\toffice\t誤り" in cli("indicator", "values", "cp-victims").stdout
