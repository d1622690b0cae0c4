"""What a coordinator types and reads while reviewing and publishing: a comment typed with an
acceptance is kept, the coverage line is counted once for the publish page, the report and the portal,
English lists and counts read as English, and publishing says it is final."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from tests.factories.followup import reporting_round

from mamoru.auth import roles


def _entry_id(client, round_id: int, code: str, agency: str) -> int:  # type: ignore[no-untyped-def]
    page = client.get(f"/followup/rounds/{round_id}/entries?agency={agency}").text
    m = re.search(rf'href="/followup/entries/(\d+)"><span class="code">{re.escape(code)}</span>', page)
    assert m, page
    return int(m.group(1))


def _submit(client, login_as, officer, eid: int) -> None:  # type: ignore[no-untyped-def]
    csrf = login_as(officer)
    client.post(f"/followup/entries/{eid}", data={"csrf_token": csrf, "action": "submit", "status": "implemented",
                                                  "narrative_ja": "広報を実施。", "narrative_en": "Publicity was done."})


def test_a_comment_typed_with_an_acceptance_is_kept_on_the_accepted_version(client, fu, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    r = reporting_round(fu)
    officer = make_user(roles.AGENCY_OFFICER, agency="CAO")
    coord = make_user(roles.COORDINATOR)
    login_as(coord)
    eid = _entry_id(client, r.id, "1-2", "CAO")
    _submit(client, login_as, officer, eid)
    csrf = login_as(coord)
    done = client.post(f"/followup/entries/{eid}/review", data={"csrf_token": csrf, "decision": "accept",
                                                                "comment": "Thank you."}, follow_redirects=False)
    assert done.status_code == 303
    page = client.get(f"/followup/entries/{eid}?lang=en").text
    versions = page[page.index("<h2>Versions</h2>"):]
    row = re.search(r"<tr><td>\d+</td><td>Accept[^<]*</td>.*?</tr>", versions, re.S)
    assert row and "Thank you." in row.group(0), versions[:1500]


def _pdf_text(pdf: bytes, tmp_path, layout: bool = False) -> str:  # type: ignore[no-untyped-def]
    (tmp_path / "r.pdf").write_bytes(pdf)
    args = ["pdftotext", *(["-layout"] if layout else []), str(tmp_path / "r.pdf"), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_agency_lists_are_joined_as_each_language_writes_them(client, fu, make_user, login_as, tmp_path) -> None:  # type: ignore[no-untyped-def]
    r = reporting_round(fu)
    login_as(make_user(roles.COORDINATOR))
    en_names = "National Police Agency, Ministry of Internal Affairs and Communications"
    ja_names = "警察庁、総務省"
    html_en = client.get(f"/followup/rounds/{r.id}/report?lang=en").text
    html_ja = client.get(f"/followup/rounds/{r.id}/report?lang=ja").text
    assert en_names in html_en and "、" not in html_en.split("<body", 1)[1]
    assert ja_names in html_ja
    pdf_en = _pdf_text(client.get(f"/followup/rounds/{r.id}/report?lang=en&format=pdf").content, tmp_path)
    assert "、" not in pdf_en and "National Police Agency, Ministry of" in pdf_en
    md_ja = client.get(f"/followup/rounds/{r.id}/report?lang=ja&format=md").text
    assert f"*{ja_names}*" in md_ja
    portal_en = client.get("/portal/measures/t-1-01?lang=en").text
    portal_ja = client.get("/portal/measures/t-1-01?lang=ja").text
    assert en_names in portal_en and "、" not in portal_en
    assert ja_names in portal_ja


def _one_accepted(client, fu, make_user, login_as):  # type: ignore[no-untyped-def]
    """A round where one entry was submitted and accepted; the coordinator signed in (round, CSRF token)."""
    r = reporting_round(fu)
    officer = make_user(roles.AGENCY_OFFICER, agency="CAO")
    coord = make_user(roles.COORDINATOR)
    login_as(coord)
    eid = _entry_id(client, r.id, "1-2", "CAO")
    _submit(client, login_as, officer, eid)
    csrf = login_as(coord)
    client.post(f"/followup/entries/{eid}/review", data={"csrf_token": csrf, "decision": "accept"})
    return r, csrf


def test_the_publish_page_counts_in_the_singular_and_plural(client, fu, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    r, csrf = _one_accepted(client, fu, make_user, login_as)
    en = client.get(f"/followup/rounds/{r.id}/publish?lang=en").text
    assert "Publish 1 accepted entry<" in en and "accepted entries<" not in en
    assert f"Accepted 1 of {len(r.entries)} entries" in en
    ja = client.get(f"/followup/rounds/{r.id}/publish?lang=ja").text
    assert "受理済みの1件を公表する" in ja


def test_the_publish_page_says_publishing_is_final_and_the_round_page_says_it_was_published(client, fu, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    r, csrf = _one_accepted(client, fu, make_user, login_as)
    assert "only errata can correct the published record" in client.get(f"/followup/rounds/{r.id}/publish?lang=en").text
    ja = client.get(f"/followup/rounds/{r.id}/publish?lang=ja").text
    assert "公表は取り消せません" in ja and "正誤表によってのみ訂正できます" in ja
    assert 'id="round-published"' not in client.get(f"/followup/rounds/{r.id}?done=published").text  # not yet
    fingerprint = re.search(r'name="fingerprint" value="(\w+)"', ja)[1]  # type: ignore[index]
    done = client.post(f"/followup/rounds/{r.id}/publish?lang=en", data={"csrf_token": csrf, "confirm": "yes",
                                                                       "fingerprint": fingerprint})
    assert done.status_code == 200 and 'id="round-published"' in done.text and "on the public portal" in done.text
    assert "公表しました" in client.get(f"/followup/rounds/{r.id}?done=published&lang=ja").text
    assert 'id="round-published"' not in client.get(f"/followup/rounds/{r.id}?lang=en").text  # said once, after the step


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_the_summary_tables_status_headers_are_whole_words_in_the_printed_report(client, fu, make_user, login_as, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from mamoru.followup.rounds import ensure_statuses
    from mamoru.plan.models import Pillar

    for p in fu.query(Pillar):  # titles as long as the plan's own, which take the table's width
        p.title_ja = "インターネット上の児童の性的搾取等に係る被害の防止に向けた社会全体の意識の向上と取組の推進" + str(p.number)
        p.title_en = "Raising awareness across society and promoting efforts to prevent online child sexual exploitation " + str(p.number)
    fu.commit()
    r = reporting_round(fu)
    login_as(make_user(roles.COORDINATOR))
    for lang, none in (("ja", "状況未記入"), ("en", "No status")):
        words = [s.label_ja if lang == "ja" else s.label_en for s in ensure_statuses(fu)] + [none]
        text = _pdf_text(client.get(f"/followup/rounds/{r.id}/report?lang={lang}&format=pdf").content, tmp_path, layout=True)
        summary = text[text.index("柱" if lang == "ja" else "Pillar"):]
        header = summary.splitlines()[0]  # the table's header row, as its first printed line
        assert all(w in header for w in words), (lang, summary[:800])


def _coverage(html: str, element_id: str) -> str:
    m = re.search(rf'id="{element_id}"[^>]*>(.*?)</(?:p|span)>', html, re.S)
    assert m, f"no #{element_id}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", m.group(1))).strip()


def test_the_coverage_line_is_the_same_on_the_publish_page_the_report_and_the_portal(client, fu, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    r = reporting_round(fu)
    total = len(r.entries)
    officer = make_user(roles.AGENCY_OFFICER, agency="CAO")
    npa = make_user(roles.AGENCY_OFFICER, agency="NPA")
    coord = make_user(roles.COORDINATOR)
    login_as(coord)
    accepted, returned = _entry_id(client, r.id, "1-2", "CAO"), _entry_id(client, r.id, "1-1", "NPA")
    _submit(client, login_as, officer, accepted)
    _submit(client, login_as, npa, returned)
    csrf = login_as(npa)  # and one draft, saved but not submitted
    client.post(f"/followup/entries/{_entry_id(client, r.id, '3-1', 'NPA')}",
                data={"csrf_token": csrf, "action": "save", "status": "in_progress", "narrative_ja": "下書き。"})
    csrf = login_as(coord)
    client.post(f"/followup/entries/{accepted}/review", data={"csrf_token": csrf, "decision": "accept"})
    client.post(f"/followup/entries/{returned}/review", data={"csrf_token": csrf, "decision": "return",
                                                              "comment": "Please add figures."})
    line = f"Accepted reports on 1 of 7 measures (1 of {total} entries)."
    confirm = client.get(f"/followup/rounds/{r.id}/publish?lang=en").text
    assert total > 3 and _coverage(confirm, "publish-coverage") == line
    assert f"Accepted 1 of {total} entries" in confirm
    fingerprint = re.search(r'name="fingerprint" value="(\w+)"', confirm)[1]  # type: ignore[index]
    client.post(f"/followup/rounds/{r.id}/publish", data={"csrf_token": csrf, "confirm": "yes", "fingerprint": fingerprint})
    assert _coverage(client.get(f"/followup/rounds/{r.id}/report?lang=en").text, "coverage") == line
    assert line in client.get(f"/followup/rounds/{r.id}/report?lang=en&format=md").text
    assert _coverage(client.get(f"/portal/rounds/{r.id}?lang=en").text, "coverage").startswith(line)
    assert f"（全{total}件中1件）" in _coverage(client.get(f"/portal/rounds/{r.id}?lang=ja").text, "coverage")
    # the number kept at publication is what a published round says, not a count of what a reader may see
    from mamoru.followup.models import ReportingRound
    from mamoru.followup.rounds import round_coverage

    fu.expire_all()
    kept = fu.get(ReportingRound, r.id)
    assert kept is not None and kept.entries_at_publication == total
    kept.entries_at_publication = total + 5  # as if some entries were out of the reader's sight
    assert round_coverage(fu, kept).entries_total == total + 5
    fu.rollback()
