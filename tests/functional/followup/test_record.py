"""The report is the record (issue 14): a published round's entries no longer change through any door;
mistakes are corrected by errata (reason and date, the original kept) shown in the report and on the
portal; the publication is refused when the entries changed since the summary that was confirmed; the
report opens with the approving meeting, the publisher, contents and the coverage line."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select
from tests.factories.followup import accepted_entry, entry
from tests.functional.followup.conftest import SMALL_PLAN
from tests.functional.followup.test_publishing import ACCEPTED, _round_in_every_state

from mamoru import periods
from mamoru.auth import roles
from mamoru.followup import entries as svc
from mamoru.followup import meetings, spreadsheet
from mamoru.followup.models import ReportingRound, RoundEntry, RoundErratum
from mamoru.followup.report import build, render, render_md
from mamoru.followup.rounds import publication_summary, publish_round

CORRECTION = "正しくは講習会を12回開催した"


def _published(session):  # type: ignore[no-untyped-def]
    r = _round_in_every_state(session)
    publish_round(session, None, r)
    session.commit()
    return r


def _token(make_user, api_token, role=roles.COORDINATOR, agency=None):  # type: ignore[no-untyped-def]
    user = make_user(role, agency=agency) if agency else make_user(role)
    return {"Authorization": f"Bearer {api_token(user, ['plan:read', 'plan:write'])}"}


def test_published_entries_no_longer_change_through_any_door(client, fu, make_user, api_token) -> None:  # type: ignore[no-untyped-def]
    r = _published(fu)
    accepted, returned = entry(fu, "1-1", "NPA"), entry(fu, "3-1", "MOJ")
    before = {e.id: (e.state, e.version, e.narrative_ja) for e in (accepted, returned)}
    office = _token(make_user, api_token)
    npa = _token(make_user, api_token, roles.AGENCY_OFFICER, "NPA")
    body = {"status": "implemented", "narrative_ja": "書き換え"}
    for headers, method, path, json in (
            (office, "post", f"/entries/{accepted.id}/return", {"comment": "直して"}),
            (office, "put", f"/entries/{accepted.id}", body),
            (npa, "put", f"/entries/{accepted.id}", body),
            (office, "post", f"/entries/{returned.id}/submit", None),
            (office, "put", f"/entries/{returned.id}", body)):
        got = getattr(client, method)(f"/api/v1/followup{path}", json=json, headers=headers)
        assert got.status_code == 409 and "published" in got.json()["detail"] and "erratum" in got.json()["detail"], got.text
    sheet = spreadsheet.export_rows(fu, r, None)
    sheet[0]["narrative_ja"] = "表計算で書き換え"
    refused = client.post(f"/api/v1/followup/rounds/{r.id}/import", headers=office,
                          files={"file": ("round.csv", spreadsheet.write(sheet, "csv"), "text/csv")})
    assert refused.status_code == 422 and "published" in refused.text
    fu.expire_all()
    assert {e.id: (e.state, e.version, e.narrative_ja) for e in fu.scalars(
        select(RoundEntry).where(RoundEntry.id.in_(before)))} == before


def test_an_erratum_is_shown_next_to_the_kept_original(client, fu, make_user, api_token) -> None:  # type: ignore[no-untyped-def]
    r = _round_in_every_state(fu)
    office = _token(make_user, api_token)
    early = client.post(f"/api/v1/followup/rounds/{r.id}/errata", headers=office,
                        json={"text_ja": CORRECTION, "reason": "回数の誤記"})
    assert early.status_code == 409 and "not published" in early.json()["detail"]
    publish_round(fu, None, r)
    fu.commit()
    target = entry(fu, "1-1", "NPA")
    for bad, field in (({"entry": target.key, "text_ja": CORRECTION}, "reason"),
                       ({"entry": target.key, "reason": "誤記"}, "text_ja"),
                       ({"entry": entry(fu, "3-1", "NPA").key, "text_ja": CORRECTION, "reason": "誤記"}, "entry"),
                       ({"text_ja": CORRECTION, "reason": "誤記",
                         "corrected_on": (periods.today() + timedelta(days=2)).isoformat()}, "corrected_on")):
        got = client.post(f"/api/v1/followup/rounds/{r.id}/errata", headers=office, json={"reason": "", **bad})
        assert got.status_code == 422 and field in {p["field"] for p in got.json()["problems"]}, got.text
    npa = _token(make_user, api_token, roles.AGENCY_OFFICER, "NPA")
    assert client.post(f"/api/v1/followup/rounds/{r.id}/errata", headers=npa,
                       json={"entry": target.key, "text_ja": CORRECTION, "reason": "誤記"}).status_code == 403
    made = client.post(f"/api/v1/followup/rounds/{r.id}/errata", headers=office,
                       json={"entry": target.key, "text_ja": CORRECTION, "text_en": "12 workshops were held",
                             "reason": "回数の誤記"})
    assert made.status_code == 201 and made.json()["code"] == "1-1" and made.json()["agency"] == "NPA"
    assert made.json()["corrected_on"] == periods.today().isoformat()
    listed = client.get(f"/api/v1/followup/rounds/{r.id}/errata", headers=office).json()
    assert [x["text_ja"] for x in listed] == [CORRECTION]
    fu.expire_all()
    assert fu.get(RoundEntry, target.id).narrative_ja == ACCEPTED[0]  # the original is kept as approved
    html, md = render(fu, r, "ja", "html").decode(), render_md(build(fu, r, "ja"))
    for text in (html, md):
        assert ACCEPTED[0] in text and CORRECTION in text and "回数の誤記" in text
    assert re.search(r'data-entry="' + target.key + r'".*?data-erratum=', html, re.S)
    portal = client.get(f"/portal/rounds/{r.id}?lang=ja").text
    assert 'id="errata"' in portal and CORRECTION in portal and ACCEPTED[0] in portal
    assert "12 workshops were held" in client.get(f"/portal/rounds/{r.id}?lang=en").text


def test_the_errata_page_keeps_what_was_typed_and_adds_the_correction(client, fu, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    r = _published(fu)
    csrf = login_as(make_user(roles.COORDINATOR))
    page = client.get(f"/followup/rounds/{r.id}?lang=ja").text
    assert f'href="/followup/rounds/{r.id}/errata"' in page
    form = client.get(f"/followup/rounds/{r.id}/errata?lang=ja").text
    assert 'id="erratum-form"' in form and entry(fu, "1-2", "CAO").key in form
    assert entry(fu, "3-1", "NPA").key not in form  # a draft is not in the report: nothing to correct
    refused = client.post(f"/followup/rounds/{r.id}/errata?lang=ja",
                          data={"csrf_token": csrf, "text_ja": CORRECTION, "reason": ""})
    assert refused.status_code == 422 and CORRECTION in refused.text and "訂正の理由を書いてください" in refused.text
    done = client.post(f"/followup/rounds/{r.id}/errata", follow_redirects=False,
                       data={"csrf_token": csrf, "entry": entry(fu, "1-2", "CAO").key, "text_ja": CORRECTION,
                             "reason": "回数の誤記"})
    assert done.status_code == 303
    shown = client.get(f"/followup/rounds/{r.id}/errata?lang=en").text
    assert CORRECTION in shown and "回数の誤記" in shown and "Cabinet Office" in shown


def test_the_cli_adds_and_lists_errata(cli) -> None:  # type: ignore[no-untyped-def]
    from mamoru.db import Database

    assert cli("plan", "load", "--file", str(SMALL_PLAN)).exit_code == 0
    assert cli("user", "add", "office", "--role", "coordinator").exit_code == 0
    db = Database.from_url(cli.env["MAMORU_DATABASE_URL"])
    with db.session() as s:
        r = _published(s)
        rid, key = str(r.id), entry(s, "1-1", "NPA").key
    no_reason = cli("round", "erratum", rid, "--text-ja", CORRECTION, "--reason", " ", "--as", "office")
    assert no_reason.exit_code == 2 and "reason" in no_reason.stderr
    made = cli("round", "erratum", rid, "--entry", key, "--text-ja", CORRECTION, "--reason", "誤記", "--as", "office")
    assert made.exit_code == 0, made.stderr
    listed = cli("round", "errata", rid)
    assert listed.exit_code == 0 and f"{made.stdout.strip()}\t" in listed.stdout and "1-1 NPA" in listed.stdout
    assert CORRECTION in listed.stdout
    with db.session() as s:
        assert s.scalar(select(RoundErratum.by)) == "office"
    db.engine.dispose()


def test_a_confirmation_on_a_stale_summary_publishes_nothing(client, fu, make_user, api_token, login_as) -> None:  # type: ignore[no-untyped-def]
    r = _round_in_every_state(fu)
    office = _token(make_user, api_token)
    seen = client.get(f"/api/v1/followup/rounds/{r.id}/publication", headers=office).json()
    csrf = login_as(make_user(roles.COORDINATOR))
    page = client.get(f"/followup/rounds/{r.id}/publish").text
    page_fp = re.search(r'name="fingerprint" value="([0-9a-f]+)"', page)[1]  # type: ignore[index]
    assert page_fp == seen["fingerprint"]
    svc.accept_entry(fu, entry(fu, "1-1", "MIC"), None)  # accepted meanwhile: three would be published
    fu.commit()
    stale = client.post(f"/api/v1/followup/rounds/{r.id}/publish", headers=office,
                        json={"confirm": True, "fingerprint": seen["fingerprint"]})
    assert stale.status_code == 409 and stale.json()["summary"]["accepted"] == 3
    assert stale.json()["summary"]["fingerprint"] != seen["fingerprint"] and "changed" in stale.json()["detail"]
    again = client.post(f"/followup/rounds/{r.id}/publish?lang=en",
                        data={"csrf_token": csrf, "confirm": "yes", "fingerprint": page_fp})
    assert again.status_code == 409 and 'id="publish-stale"' in again.text
    assert f"Accepted 3 of {len(r.entries)} entries" in again.text
    fu.expire_all()
    assert fu.get(ReportingRound, r.id).state == "open"
    done = client.post(f"/api/v1/followup/rounds/{r.id}/publish", headers=office,
                       json={"confirm": True, "fingerprint": stale.json()["summary"]["fingerprint"]})
    assert done.status_code == 200 and done.json()["published"]["accepted"] == 3


def test_the_cli_refuses_a_stale_fingerprint(cli) -> None:  # type: ignore[no-untyped-def]
    from mamoru.db import Database

    assert cli("plan", "load", "--file", str(SMALL_PLAN)).exit_code == 0
    assert cli("user", "add", "office", "--role", "coordinator").exit_code == 0
    db = Database.from_url(cli.env["MAMORU_DATABASE_URL"])
    with db.session() as s:
        r = _round_in_every_state(s)
        rid, old = str(r.id), publication_summary(s, r).fingerprint
        svc.accept_entry(s, entry(s, "1-1", "MIC"), None)
        s.commit()
    refused = cli("round", "publish", rid, "--yes", "--fingerprint", old, "--as", "office")
    assert refused.exit_code == 1 and "changed" in refused.stderr and "accepted 3 of" in refused.stderr
    with db.session() as s:
        assert s.scalar(select(ReportingRound.state)) == "open"
    db.engine.dispose()


def test_the_report_opens_with_approval_publisher_contents_and_coverage(fu) -> None:  # type: ignore[no-untyped-def]
    r = _round_in_every_state(fu)
    m = meetings.record_meeting(fu, None, date(2024, 9, 10), "17th liaison meeting", "第17回連絡会議",
                                ["ministerial-meeting-crime"], number=17)
    meetings.add_decision(fu, None, m, "approve_round_report", "Report approved", "報告を了承", round_id=r.id)
    publish_round(fu, None, r)
    fu.commit()
    html = render(fu, r, "ja", "html").decode()
    assert re.search(r'id="approved-by">第17回連絡会議, 2024年9月10日<', html), html[:3000]
    assert 'id="publisher">国家公安委員会<' in html
    # accepted entries on 1-1 and 1-2 of the plan's seven measures; 2 of all the round's entries
    assert f"全7施策中2施策で受理済みの報告（全{len(r.entries)}件中2件）" in html
    assert all(f'href="#pillar-{n}"' in html and f'id="pillar-{n}"' in html for n in (1, 2, 3))
    en = render_md(build(fu, r, "en"))
    assert "Approved by: 17th liaison meeting" in en and f"Accepted reports on 2 of 7 measures (2 of {len(r.entries)} entries)." in en


def test_a_round_without_approval_says_so(fu) -> None:  # type: ignore[no-untyped-def]
    r = _round_in_every_state(fu)
    accepted_entry(fu, "2-3", "MHLW", "労働関係の報告")
    html = render(fu, r, "en", "html").decode()
    assert 'id="approved-by">not yet approved by a meeting<' in html and "3 of 7 measures" in html
