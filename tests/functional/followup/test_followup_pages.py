"""The follow-up's pages for meetings and action items, the WePROTECT coverage and maturity, the
prefectural consultation services editor and prefecture publication, in Japanese and English."""

from __future__ import annotations

import re

from mamoru.auth import roles


def test_meeting_decisions_and_action_items_by_owner_and_overdue(client, ref, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    officer = make_user(roles.AGENCY_OFFICER, agency="NPA")
    csrf = login_as(make_user(roles.COORDINATOR))
    bad = client.post("/followup/meetings", data={"csrf_token": csrf, "held_on": "2025-03-01", "title_ja": "会議"})
    assert bad.status_code == 422 and "name at least one body" in bad.text
    r = client.post("/followup/meetings", follow_redirects=False, data={
        "csrf_token": csrf, "held_on": "2025-03-01", "number": "17", "title_ja": "第17回 合同会議", "title_en": "17th joint meeting",
        "bodies": ["dg-liaison-meeting", "public-private-council"], "agenda": "報告書の了承 | Approval of the report",
        "attendees": "山田 | 局長 | CFA", "materials": "https://www.cfa.go.jp/s1.pdf | 資料1"})
    assert r.status_code == 303
    url = r.headers["location"]
    client.post(f"{url}/decisions", data={"csrf_token": csrf, "kind": "approve_round_report", "text_ja": "報告を了承した。"})
    for measure, owner, due in (("t-1-01", "NPA", "2020-01-31"), ("t-3-02", "MIC", "2020-02-28"), ("t-1-02", "NPA", "2099-01-31")):
        ok = client.post(f"{url}/actions", follow_redirects=False, data={
            "csrf_token": csrf, "text_ja": f"{measure}の対応", "text_en": f"Follow up {measure}", "measure": measure,
            "owner": owner, "due_on": due})
        assert ok.status_code == 303
    page = client.get(f"{url}?lang=ja").text
    assert "第17回 合同会議" in page and "合同会議" in page and "フォローアップ報告の了承" in page and "報告を了承した。" in page
    assert "資料1" in page and page.count('class="fu-overdue"') == 2 and "期限超過" in page
    # the label, the new decision's select option and the correction form's selected option
    assert client.get(f"{url}?lang=en").text.count("Approve a round&#39;s report") == 3
    listing = client.get("/followup/actions?owner=NPA&lang=en").text
    dues = re.findall(r'data-action="\d+"><td>([^<]+)</td><td>(\w+)</td>', listing)
    assert [o for _d, o in dues] == ["NPA", "NPA"] and "2020" in dues[0][0] and "2099" in dues[1][0]
    overdue = client.get("/followup/actions?overdue=1&lang=ja").text
    assert overdue.count("data-action=") == 2 and "t-1-01の対応" in overdue and "t-1-02の対応" not in overdue
    ids = dict(re.findall(r'data-action="(\d+)">.*?<td>(\w+)</td><td>[^<]*の対応', overdue))
    csrf = login_as(officer)
    assert client.post("/followup/meetings", data={"csrf_token": csrf, "held_on": "2025-03-01", "title_ja": "x",
                                                   "bodies": ["dg-liaison-meeting"]}).status_code == 403
    mic = next(i for i, owner in ids.items() if owner == "MIC")
    npa = next(i for i, owner in ids.items() if owner == "NPA")
    assert client.post(f"/followup/actions/{mic}", data={"csrf_token": csrf, "done": "yes"}).status_code == 403
    assert client.post(f"/followup/actions/{npa}", data={"csrf_token": csrf, "done": "yes"},
                       follow_redirects=False).status_code == 303
    after = client.get("/followup/actions?overdue=1&lang=ja").text
    assert after.count("data-action=") == 1 and f'data-action="{mic}"' in after


def test_body_rename_keeps_name_history(client, ref, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    csrf = login_as(make_user(roles.COORDINATOR))
    r = client.post("/followup/bodies/public-private-council", follow_redirects=False, data={
        "csrf_token": csrf, "chair_ja": "こども家庭庁長官", "secretariat": "CFA", "new_name_ja": "こどもオンライン協議会",
        "new_name_en": "Council on children online", "renamed_on": "2025-04-01"})
    assert r.status_code == 303
    page = client.get("/followup/meetings?lang=ja").text
    assert "こどもオンライン協議会" in page and "子供の性被害防止に関する官民連携会議" in page and "2025-03-31" in page


def test_coverage_maturity_pages(client, ref, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    csrf = login_as(make_user(roles.COORDINATOR))
    page = client.get("/followup/alignment?lang=en").text
    assert "21 of 21 capabilities are addressed by no measure." in page and page.count("<li><a href=\"#cap-") == 21
    client.post("/followup/alignment", data={"csrf_token": csrf, "action": "map", "capability": "4", "measure": "t-3-01"})
    page = client.get("/followup/alignment?lang=ja").text
    assert "20" in re.search(r'id="gap-count">([^<]+)', page).group(1)  # type: ignore[union-attr]
    assert page.count("<li><a href=\"#cap-") == 20 and 'href="#cap-4"' not in page
    assert client.post("/followup/alignment", data={"csrf_token": csrf, "action": "assess", "capability": "4",
                                                    "phase": "7", "assessed_on": "2025-01-10"}).status_code == 422
    for phase, day in (("2", "2024-01-10"), ("3", "2025-01-10")):
        client.post("/followup/alignment", data={"csrf_token": csrf, "action": "assess", "capability": "4",
                                                 "phase": phase, "assessed_on": day, "note": "自己評価"})
    mat = client.get("/followup/alignment/maturity?lang=ja").text
    row = re.search(r'id="cap-4">(.*?)</tr>', mat, re.S).group(1)  # type: ignore[union-attr]
    assert "第3段階：確立" in row and "fu-phase-3" in row and "自己評価" in row
    assert "第3段階" not in re.search(r'id="cap-5">(.*?)</tr>', mat, re.S).group(1)  # type: ignore[union-attr]
    csrf = login_as(make_user(roles.AGENCY_OFFICER, agency="NPA"))
    assert 'id="assess-form"' not in client.get("/followup/alignment/maturity").text
    assert client.post("/followup/alignment", data={"csrf_token": csrf, "action": "assess", "capability": "4",
                                                    "phase": "4"}).status_code == 403


def test_prefectural_services_editor_and_prefecture_publication(client, ref, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    csrf = login_as(make_user(roles.COORDINATOR))
    bad = client.post("/followup/help-services", data={"csrf_token": csrf, "kind": "service", "prefecture": "13",
                                                       "name_ja": "窓口", "phone": "03", "url": "ftp://x"})
    assert bad.status_code == 422 and "http(s)" in bad.text
    client.post("/followup/help-services", data={"csrf_token": csrf, "kind": "service", "prefecture": "13",
                                                 "name_ja": "東京こども相談", "phone": "03-1111-2222"})
    key = re.search(r'id="svc-(pref-13-\d+)"', client.get("/followup/help-services").text).group(1)  # type: ignore[union-attr]
    assert "03-1111-2222" in client.get("/portal/help").text
    client.post(f"/followup/help-services/{key}", data={"csrf_token": csrf, "name_ja": "東京こども相談",
                                                        "phone": "03-3333-4444", "active": ""})
    editor = client.get("/followup/help-services?lang=ja").text
    assert "03-3333-4444" in editor and "掲載停止" in editor
    assert "03-3333-4444" not in client.get("/portal/help").text  # withdrawn from the public page
    assert client.post("/followup/help-services/police-9110", data={"csrf_token": csrf, "name_ja": "x",
                                                                    "phone": "1"}).status_code == 409
    client.post("/followup/prefectures", data={"csrf_token": csrf, "measure": "t-2-01", "prefecture": "13", "status": "done"})
    assert "Not published" in client.get("/followup/prefectures?measure=t-2-01&lang=en").text
    client.post("/followup/prefectures/publication", data={"csrf_token": csrf, "measure": "t-2-01", "publish": "yes"})
    assert "公開中" in client.get("/followup/prefectures?measure=t-2-01&lang=ja").text
    csrf = login_as(make_user(roles.AGENCY_OFFICER, agency="NPA"))
    assert client.post(f"/followup/help-services/{key}", data={"csrf_token": csrf, "name_ja": "x",
                                                               "phone": "1"}).status_code == 403
    assert client.post("/followup/prefectures/publication", data={"csrf_token": csrf, "measure": "t-2-01",
                                                                  "publish": "no"}).status_code == 403


def test_a_refused_meeting_form_comes_back_with_what_was_typed(client, ref, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    """mamoru.web.forms: a refusal re-renders the page with the problems and the user's input, nothing stored."""
    csrf = login_as(make_user(roles.COORDINATOR))
    bad = client.post("/followup/meetings", data={
        "csrf_token": csrf, "held_on": "2025-03-01", "number": "18", "title_ja": "第18回 会議（本文を保持）",
        "agenda": "議題その一 | Item one", "attendees": "山田 | 局長 | CFA"})
    assert bad.status_code == 422 and "name at least one body" in bad.text
    assert 'value="第18回 会議（本文を保持）"' in bad.text and 'value="18"' in bad.text and 'value="2025-03-01"' in bad.text
    assert "議題その一 | Item one</textarea>" in bad.text and "山田 | 局長 | CFA</textarea>" in bad.text
    assert "第18回" not in client.get("/followup/meetings").text.split('id="meeting-form"')[0]  # not recorded
    ok = client.post("/followup/meetings", follow_redirects=False, data={
        "csrf_token": csrf, "held_on": "2025-03-02", "title_ja": "会議", "bodies": ["dg-liaison-meeting"]})
    url = ok.headers["location"]
    refused = client.post(f"{url}/actions", data={"csrf_token": csrf, "text_ja": "期限の書式が誤り", "owner": "NPA",
                                                  "due_on": "2025-13-45"})
    assert refused.status_code == 422
    assert 'value="期限の書式が誤り"' in refused.text and 'value="2025-13-45"' in refused.text
    assert '<option value="NPA" selected>' in refused.text
    refused = client.post(f"{url}/decisions", data={"csrf_token": csrf, "kind": "no-such-kind", "text_ja": "決定の本文"})
    assert refused.status_code == 422 and "決定の本文</textarea>" in refused.text
