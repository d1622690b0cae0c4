"""The follow-up through the web pages and the JSON API: who sees and changes what, the review
round trip, version diffs, spreadsheets through the browser forms."""

from __future__ import annotations

import re

from tests.factories.followup import reporting_round

from mamoru.auth import roles


def _entry_id(client, round_id: int, code: str, agency: str) -> int:  # type: ignore[no-untyped-def]
    page = client.get(f"/followup/rounds/{round_id}/entries?agency={agency}").text
    m = re.search(rf'href="/followup/entries/(\d+)"><span class="code">{re.escape(code)}</span>', page)
    assert m, page
    return int(m.group(1))


def test_officer_sees_only_own_entries_and_cannot_touch_others(client, fu, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    r = reporting_round(fu)
    coord = make_user(roles.COORDINATOR)
    login_as(coord)
    npa_entry = _entry_id(client, r.id, "1-1", "NPA")
    mic_entry = _entry_id(client, r.id, "1-1", "MIC")
    officer = make_user(roles.AGENCY_OFFICER, agency="NPA")
    csrf = login_as(officer)
    listing = client.get(f"/followup/rounds/{r.id}/entries?agency=MIC").text
    assert '-npa"' in listing and '-mic"' not in listing
    assert client.get(f"/followup/entries/{mic_entry}").status_code == 403
    r2 = client.post(f"/followup/entries/{mic_entry}", data={"csrf_token": csrf, "action": "save", "status": "implemented",
                                                             "narrative_ja": "x"})
    assert r2.status_code == 403
    ok = client.post(f"/followup/entries/{npa_entry}", data={
        "csrf_token": csrf, "action": "submit", "status": "implemented", "narrative_ja": "取締りを強化した。",
        "narrative_en": "Enforcement was strengthened.", "figures": "Arrests | 検挙件数 | 3,035 | cases | 2022",
        "evidence": "https://www.npa.go.jp/publications/statistics/ NPA statistics"}, follow_redirects=False)
    assert ok.status_code == 303
    page = client.get(f"/followup/entries/{npa_entry}?lang=en").text
    assert 'id="entry-state">Submitted' in page and 'id="entry-form"' not in page  # locked
    api = client.get(f"/api/v1/followup/rounds/{r.id}/entries").json()
    assert {e["agency"] for e in api} == {"NPA"}


def test_review_round_trip_and_diff_page(client, fu, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    r = reporting_round(fu)
    officer = make_user(roles.AGENCY_OFFICER, agency="CAO")
    coord = make_user(roles.COORDINATOR)
    csrf = login_as(coord)
    eid = _entry_id(client, r.id, "1-2", "CAO")
    csrf = login_as(officer)
    client.post(f"/followup/entries/{eid}", data={"csrf_token": csrf, "action": "submit", "status": "in_progress",
                                                  "narrative_ja": "広報を実施。"})
    csrf = login_as(coord)
    bad = client.post(f"/followup/entries/{eid}/review", data={"csrf_token": csrf, "decision": "return", "comment": ""})
    assert bad.status_code == 422
    client.post(f"/followup/entries/{eid}/review", data={"csrf_token": csrf, "decision": "return",
                                                         "comment": "英語の記述も追加してください"})
    csrf = login_as(officer)
    page = client.get(f"/followup/entries/{eid}").text
    assert "英語の記述も追加してください" in page and 'id="entry-form"' in page
    client.post(f"/followup/entries/{eid}", data={"csrf_token": csrf, "action": "submit", "status": "implemented",
                                                  "narrative_ja": "広報を実施。", "narrative_en": "Publicity was done."})
    csrf = login_as(coord)
    client.post(f"/followup/entries/{eid}/review", data={"csrf_token": csrf, "decision": "accept"})
    diff = client.get(f"/followup/entries/{eid}/diff?a=2&b=5&lang=en").text
    assert "<h2>What was done (English)</h2>" in diff and "Publicity was done." in diff
    # In Japanese the fields are named as the entry page names them, the state and status by their words.
    ja = client.get(f"/followup/entries/{eid}/diff?a=2&b=6&lang=ja").text  # submitted, then accepted
    headings = re.findall(r"<h2>(.*?)</h2>", ja)
    assert {"審査の段階", "進捗状況", "実施内容（英語）"} <= set(headings), headings
    assert not [h for h in headings if re.search(r"[a-z]{3,}", h)], headings  # no narrative_en, state, ...
    assert "<del>提出済み</del> → <ins>受理済み</ins>" in ja
    assert "<del>実施中</del> → <ins>実施済み</ins>" in ja  # the statuses' labels, not in_progress
    dash = client.get(f"/followup/rounds/{r.id}?lang=en").text
    assert 'id="by-agency"' in dash and "CAO" in dash
    asked = client.post(f"/followup/rounds/{r.id}/publish?lang=en", data={"csrf_token": csrf}, follow_redirects=False)
    assert asked.status_code == 409 and "Accepted 1 of" in asked.text  # not confirmed: the summary, nothing published
    asked = client.post(f"/followup/rounds/{r.id}/publish?lang=ja", data={"csrf_token": csrf}, follow_redirects=False)
    assert re.search(r"件を受理済み</b>。", asked.text)  # a Japanese sentence ends in 。 ("受理済み. ポータル")
    assert 'id="round-state">Open' in client.get(f"/followup/rounds/{r.id}?lang=en").text
    fingerprint = re.search(r'name="fingerprint" value="(\w+)"', asked.text)[1]  # type: ignore[index]
    assert client.post(f"/followup/rounds/{r.id}/publish", data={"csrf_token": csrf, "confirm": "yes",
                                                               "fingerprint": fingerprint},
                       follow_redirects=False).status_code == 303
    assert "Published" in client.get(f"/followup/rounds/{r.id}?lang=en").text


def test_coordinator_opens_round_through_api(client, fu, make_user, api_token) -> None:  # type: ignore[no-untyped-def]
    tok = api_token(make_user(roles.COORDINATOR), ["plan:read", "plan:write"])
    h = {"Authorization": f"Bearer {tok}"}
    r = client.post("/api/v1/followup/rounds", json={"fiscal_years": [2024], "due_on": "2030-07-31"}, headers=h)
    assert r.status_code == 201 and r.json()["label_ja"] == "令和6年度"
    officer_tok = api_token(make_user(roles.AGENCY_OFFICER, agency="NPA"), ["plan:read", "plan:write"])
    refused = client.post("/api/v1/followup/rounds", json={"fiscal_years": [2025], "due_on": "2030-07-31"},
                          headers={"Authorization": f"Bearer {officer_tok}"})
    assert refused.status_code == 403
    assert client.get("/api/v1/followup/rounds").status_code == 401


def test_a_refused_entry_says_why_in_japanese_and_keeps_what_was_typed(client, fu, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    """The entry form's refusals were English on the Japanese page ("a figure line needs 5 parts ...")."""
    r = reporting_round(fu)
    login_as(make_user(roles.COORDINATOR))
    eid = _entry_id(client, r.id, "1-1", "NPA")
    csrf = login_as(make_user(roles.AGENCY_OFFICER, agency="NPA"))
    bad = client.post(f"/followup/entries/{eid}?lang=ja", data={"csrf_token": csrf, "action": "submit", "status": "",
                                                               "figures": "数値ではない行"})
    assert bad.status_code == 422
    shown = bad.text.split('class="problems error"')[1].split("</ul>")[0]
    assert "数値: 数値の行には「|」で区切った 5 項目" in shown and "figure line" not in shown, shown
    assert "数値ではない行" in bad.text  # what was typed is still in the form
    bad = client.post(f"/followup/entries/{eid}?lang=ja", data={"csrf_token": csrf, "action": "submit", "status": "",
                                                               "figures": "Arrests | 検挙件数 | many | cases | 2022"})
    shown = bad.text.split('class="problems error"')[1].split("</ul>")[0]
    assert "1 件目の数値：&#39;many&#39; は数値ではありません" in shown and "is not a number" not in shown, shown
    english = client.post(f"/followup/entries/{eid}?lang=en", data={"csrf_token": csrf, "action": "submit", "status": ""})
    assert "Status: choose a status before submitting" in english.text


def test_each_step_on_an_entry_says_what_it_did(client, fu, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    """Saving a draft, submitting, returning and accepting each come back to the entry with a line that
    says what happened (a draft saved silently looked as if nothing had been saved)."""
    r = reporting_round(fu)
    officer = make_user(roles.AGENCY_OFFICER, agency="CAO")
    coord = make_user(roles.COORDINATOR)
    login_as(coord)
    eid = _entry_id(client, r.id, "1-2", "CAO")

    def notice(response) -> str:  # type: ignore[no-untyped-def]
        found = re.search(r'<p class="notice" id="done" role="status">(.*?)</p>', response.text)
        return found.group(1) if found else ""

    csrf = login_as(officer)
    saved = client.post(f"/followup/entries/{eid}?lang=ja", data={"csrf_token": csrf, "action": "save",
                                                                  "status": "in_progress", "narrative_ja": "下書き"})
    assert saved.url.query == b"done=saved" and notice(saved).startswith("下書きとして保存しました")
    sent = client.post(f"/followup/entries/{eid}", data={"csrf_token": csrf, "action": "submit",
                                                         "status": "in_progress", "narrative_ja": "下書き"})
    assert notice(client.get(f"/followup/entries/{eid}?done=submitted&lang=en")) == \
        "Submitted to the plan office for review." and "done=submitted" in str(sent.url)
    csrf = login_as(coord)
    back = client.post(f"/followup/entries/{eid}/review?lang=en", data={"csrf_token": csrf, "decision": "return",
                                                                        "comment": "もう少し詳しく"})
    assert notice(back) == "Returned to the agency with your comment."
    assert notice(client.get(f"/followup/entries/{eid}?done=anything")) == ""  # only the known steps
