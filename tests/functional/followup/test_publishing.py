"""Publishing a round (issue 14): every door shows what will be published (accepted N of M, by agency)
and publishes only once confirmed; the published report, wherever it is made, holds accepted entries
only and counts them as the portal does; the portal offers it as a PDF in Japanese and English."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.factories.followup import accepted_entry, entry, reporting_round
from tests.functional.followup.conftest import SMALL_PLAN

from mamoru.auth import roles
from mamoru.followup import entries as svc
from mamoru.followup.models import ReportingRound
from mamoru.followup.report import build, render, render_md
from mamoru.followup.rounds import publication_summary, publish_round
from mamoru.followup.workflow import Content

ACCEPTED = ("公表される記述アルファ", "公表される記述ベータ")
DRAFT, SUBMITTED, RETURNED = "未提出の下書きガンマ", "審査待ちの記述デルタ", "差し戻された記述イプシロン"


def _round_in_every_state(session):  # type: ignore[no-untyped-def]
    """A round with two accepted entries (NPA, CAO), one draft, one submitted and one returned."""
    r = reporting_round(session)
    accepted_entry(session, "1-1", "NPA", ACCEPTED[0], status="in_progress")
    accepted_entry(session, "1-2", "CAO", ACCEPTED[1])
    svc.save_entry(session, entry(session, "3-1", "NPA"), None, Content("in_progress", "", DRAFT, [], []))
    svc.save_entry(session, entry(session, "1-1", "MIC"), None, Content("implemented", "", SUBMITTED, [], []),
                   submit=True)
    returned = entry(session, "3-1", "MOJ")
    svc.save_entry(session, returned, None, Content("delayed", "", RETURNED, [], []), submit=True)
    svc.return_entry(session, returned, None, "数字を追記してください")
    session.commit()
    return r


def test_the_summary_counts_accepted_of_all_by_agency(fu) -> None:  # type: ignore[no-untyped-def]
    r = _round_in_every_state(fu)
    summary = publication_summary(fu, r)
    by_agency = {a.code: (a.accepted, a.total) for a in summary.agencies}
    assert by_agency["NPA"] == (1, 2) and by_agency["CAO"] == (1, 1) and by_agency["MOJ"] == (0, 1)
    assert summary.accepted == 2 and summary.total == len(r.entries) and summary.left_out == summary.total - 2
    assert summary.lines()[0] == f"accepted 2 of {summary.total} entries" and "  NPA: accepted 1 of 2" in summary.lines()


def _summary_rows(html: str) -> list[list[int]]:
    """The numbers of the summary table (one list per pillar) of a report or portal page."""
    table = html[html.index('<table class="summary">'):]
    table = table[:table.index("</table>")]
    return [[int(n) for n in re.findall(r"<td>(\d+)</td>", row)] for row in table.split("<tr>")[2:]]


def test_published_report_shows_accepted_entries_only_counted_as_the_portal(client, fu) -> None:  # type: ignore[no-untyped-def]
    r = _round_in_every_state(fu)
    draft_md = render_md(build(fu, r, "ja"))          # before publication: the office's preview, everything
    assert DRAFT in draft_md and "草案" in draft_md
    publish_round(fu, None, r)
    fu.commit()
    # what `mamoru report followup` and the round page's report make, with no public flag
    md = render_md(build(fu, r, "ja"))
    html = render(fu, r, "ja", "html").decode()
    for text in (md, html):
        assert all(a in text for a in ACCEPTED)
        assert not any(w in text for w in (DRAFT, SUBMITTED, RETURNED)), "a published report shows accepted only"
        assert "下書き" not in text and "(受理済み)" not in text  # no entry state marks in the official report
    portal = client.get(f"/portal/rounds/{r.id}?lang=ja").text
    report_rows, portal_rows = _summary_rows(html), _summary_rows(portal)
    # the portal's table has no "no status" column; every accepted entry here has a status
    assert [row[:-1] for row in report_rows] == portal_rows and all(row[-1] == 0 for row in report_rows)
    assert sum(map(sum, portal_rows)) == publication_summary(fu, r).accepted == 2
    assert "2件の報告" in client.get("/portal?lang=ja").text  # the portal's list counts the same accepted entries
    assert re.search(r"公表日時: \d{4}-\d\d-\d\d \d\d:\d\d JST", md)


def test_the_page_asks_for_confirmation_with_the_summary(client, fu, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    r = _round_in_every_state(fu)
    csrf = login_as(make_user(roles.COORDINATOR))
    page = client.get(f"/followup/rounds/{r.id}/publish?lang=en").text
    total = len(r.entries)
    assert f"Accepted 2 of {total} entries" in page and 'id="publish-confirm"' in page
    assert re.search(r'data-agency="NPA"><td>NPA [^<]+</td><td>1</td><td>2</td>', page), page
    ja = client.get(f"/followup/rounds/{r.id}/publish?lang=ja").text
    assert f"全{total}件中2件を受理済み" in ja and "受理済みの2件を公表する" in ja
    asked = client.post(f"/followup/rounds/{r.id}/publish?lang=en", data={"csrf_token": csrf})
    assert asked.status_code == 409 and f"Accepted 2 of {total} entries" in asked.text
    fu.expire_all()
    assert fu.get(ReportingRound, r.id).state == "open"
    fingerprint = re.search(r'name="fingerprint" value="([0-9a-f]+)"', page)[1]  # type: ignore[index]
    done = client.post(f"/followup/rounds/{r.id}/publish", data={"csrf_token": csrf, "confirm": "yes",
                                                                 "fingerprint": fingerprint},
                       follow_redirects=False)
    assert done.status_code == 303
    fu.expire_all()
    assert fu.get(ReportingRound, r.id).state == "published"


def test_the_api_publishes_only_with_confirm(client, fu, make_user, api_token) -> None:  # type: ignore[no-untyped-def]
    r = _round_in_every_state(fu)
    h = {"Authorization": f"Bearer {api_token(make_user(roles.COORDINATOR), ['plan:read', 'plan:write'])}"}
    preview = client.get(f"/api/v1/followup/rounds/{r.id}/publication", headers=h).json()
    assert preview["accepted"] == 2 and preview["total"] == len(r.entries)
    assert {"code": "CAO", "accepted": 1, "total": 1}.items() <= next(a for a in preview["agencies"]
                                                                       if a["code"] == "CAO").items()
    for body in (None, {}, {"confirm": False}, {"confirm": True}):
        refused = client.post(f"/api/v1/followup/rounds/{r.id}/publish", json=body, headers=h)
        assert refused.status_code == 409 and f"accepted 2 of {len(r.entries)}" in refused.text, refused.text
        assert refused.json()["summary"]["fingerprint"] == preview["fingerprint"]
    done = client.post(f"/api/v1/followup/rounds/{r.id}/publish",
                       json={"confirm": True, "fingerprint": preview["fingerprint"]}, headers=h)
    assert done.status_code == 200 and done.json()["state"] == "published" and done.json()["published"]["accepted"] == 2
    spec = client.get("/api/v1/openapi.json").json()
    publish = spec["paths"]["/api/v1/followup/rounds/{round_id}/publish"]["post"]
    assert "confirm" in publish["description"] and "409" in publish["responses"]


def test_the_cli_prints_the_summary_and_asks(cli) -> None:  # type: ignore[no-untyped-def]
    from mamoru.db import Database

    assert cli("plan", "load", "--file", str(SMALL_PLAN)).exit_code == 0
    assert cli("user", "add", "office", "--role", "coordinator").exit_code == 0
    db = Database.from_url(cli.env["MAMORU_DATABASE_URL"])
    with db.session() as s:
        r = _round_in_every_state(s)
        rid, total = str(r.id), len(r.entries)
    no = cli("round", "publish", rid, "--as", "office", input="n\n")
    assert no.exit_code == 1 and f"accepted 2 of {total} entries" in no.stderr and "NPA: accepted 1 of 2" in no.stderr
    with db.session() as s:
        assert s.scalar(select(ReportingRound.state)) == "open"
    yes = cli("round", "publish", rid, "--as", "office", input="y\n")
    assert yes.exit_code == 0 and f"accepted 2 of {total} entries" in yes.stderr and "published" in yes.stderr
    with db.session() as s:
        assert s.scalar(select(ReportingRound.state)) == "published"
    db.engine.dispose()


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_the_portal_links_the_pdf_in_both_languages(client, fu, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = _round_in_every_state(fu)
    assert client.get(f"/portal/rounds/{r.id}/report-ja.pdf").status_code == 404  # not published yet
    publish_round(fu, None, r)
    fu.commit()
    page = client.get(f"/portal/rounds/{r.id}?lang=ja").text
    texts = {}
    for lang in ("ja", "en"):
        assert f'href="/portal/rounds/{r.id}/report-{lang}.pdf"' in page
        got = client.get(f"/portal/rounds/{r.id}/report-{lang}.pdf")
        assert got.status_code == 200 and got.headers["content-type"] == "application/pdf"
        assert got.content.startswith(b"%PDF")
        (tmp_path / f"{lang}.pdf").write_bytes(got.content)
        texts[lang] = subprocess.run(["pdftotext", str(tmp_path / f"{lang}.pdf"), "-"], capture_output=True,
                                     text=True, check=True).stdout
    assert all(a in texts["ja"] for a in ACCEPTED) and DRAFT not in texts["ja"] and "草案" not in texts["ja"]
    assert "Implementation status of the Basic Plan" in texts["en"] and "JST" in texts["en"]
    assert client.get(f"/portal/rounds/{r.id}/report-fr.pdf").status_code == 404


def test_the_same_report_is_made_into_a_pdf_once(fu) -> None:  # type: ignore[no-untyped-def]
    """The portal offers the PDF to anyone: the same report asked again is not rendered again."""
    from mamoru.followup import report

    r = _round_in_every_state(fu)
    publish_round(fu, None, r)
    first = report.render_pdf(build(fu, r, "en"))
    rendered = report._pdf_of.cache_info()
    again = report.render_pdf(build(fu, r, "en"))
    assert again == first and report._pdf_of.cache_info().hits == rendered.hits + 1
    assert report._pdf_of.cache_info().misses == rendered.misses


def test_the_round_pages_report_of_a_published_round_is_the_official_one(client, fu, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    r = _round_in_every_state(fu)
    login_as(make_user(roles.COORDINATOR))
    preview = client.get(f"/followup/rounds/{r.id}/report?lang=ja&format=md").text
    assert DRAFT in preview and "草案" in preview  # before publication: the office's preview
    publish_round(fu, None, r)
    fu.commit()
    official = client.get(f"/followup/rounds/{r.id}/report?lang=ja&format=md").text
    assert all(a in official for a in ACCEPTED) and not any(w in official for w in (DRAFT, SUBMITTED, RETURNED))
    assert "草案" not in official
