"""What a case records for others: the route to the child guidance centre for a child in immediate
danger (stored, shown, audited, exported), and the referral record as a PDF the police can read."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.factories import hotline
from tests.factories.hotline import STAFF_SCOPES

from mamoru.audit import AuditEvent
from mamoru.hotline import service
from mamoru.hotline.models import CaseEvent, HotlineCase
from mamoru.i18n import fmt_time_jst

ROUTE = "児童相談所（品川）へ通告済み 2026-05-01 担当 山田"
URL = "http://site.example.jp:8080/album/photo-7?id=3"
HASH = "ab" * 32


def _danger_case(session) -> int:  # type: ignore[no-untyped-def]
    report = hotline.report(session, URL, content_type="image", immediate_danger=True)
    session.commit()
    return report.case_id


def test_guidance_route_is_stored_shown_audited_and_exported(hl_client, database, session, make_user, login_as,
                                                             api_token) -> None:  # type: ignore[no-untyped-def]
    case_id = _danger_case(session)
    analyst = make_user("analyst")
    csrf = login_as(analyst)
    page = hl_client.get(f"/hotline/cases/{case_id}")
    assert 'id="guidance-form"' in page.text  # offered for a child in immediate danger
    r = hl_client.post(f"/hotline/cases/{case_id}/guidance", data={"route": f"  {ROUTE}  ", "csrf_token": csrf},
                       follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/hotline/cases/{case_id}"
    with database.session() as s:
        case = s.get(HotlineCase, case_id)
        assert case is not None and case.guidance_route == ROUTE
        events = list(s.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == "guidance_route")))
        assert [(e.actor, e.detail["route"]) for e in events] == [(analyst.username, ROUTE)]
        audits = list(s.scalars(select(AuditEvent).where(AuditEvent.action == "hotline:case:guidance",
                                                         AuditEvent.target == f"hotline:case:{case_id}")))
        assert [a.actor for a in audits] == [analyst.username] and ROUTE in audits[0].detail
    assert f'value="{ROUTE}"' in hl_client.get(f"/hotline/cases/{case_id}").text
    h = {"Authorization": f"Bearer {api_token(analyst, STAFF_SCOPES)}"}
    record = hl_client.get(f"/api/v1/hotline/cases/{case_id}/referral.json", headers=h).json()
    assert record["guidance_route"] == ROUTE


def test_guidance_route_needs_an_analyst(hl_client, database, session, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    case_id = _danger_case(session)
    csrf = login_as(make_user("coordinator"))
    r = hl_client.post(f"/hotline/cases/{case_id}/guidance", data={"route": ROUTE, "csrf_token": csrf},
                       follow_redirects=False)
    assert r.status_code == 403
    with database.session() as s:
        assert s.get(HotlineCase, case_id).guidance_route == ""  # type: ignore[union-attr]


def _pdf_strings(data: bytes) -> list[str]:
    """The text lines of mamoru's own PDF writer (uncompressed streams, UTF-16BE hex strings)."""
    return [bytes.fromhex(h.decode()).decode("utf-16-be") for h in re.findall(rb"<([0-9A-F]+)> Tj", data)]


def _pdftotext(path: Path) -> str:
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    done = subprocess.run([tool, "-raw", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, timeout=60,
                          check=False)
    if "Missing language pack" in done.stderr:
        pytest.skip("pdftotext lacks the Adobe-Japan1 data (apt-get install poppler-data) to read the CID font")
    assert done.returncode == 0, done.stderr
    return done.stdout


READABLE = {  # what a reader finds in the referral document, in each language (issue 12)
    "ja": ["ホットライン事案 {number} 情報提供記録", "1. 事案", "状態: 削除依頼待ち", "2. 判定",
           "判定: 違法：児童ポルノ（児童の性的虐待記録）", "法的根拠: 児童ポルノの製造 (child-pornography)", "ホスティング国: JP",
           "3. 証跡", "受付日時 {received}", "一般 · 画像", "警察の受理番号: 2026-0042", "警察へ情報提供 → 削除依頼待ち",
           "この記録には違法情報そのものも通報者の連絡先も含まれていません。"],
    "en": ["Referral record of hotline case {number}", "1. Case", "Status: Deletion request pending",
           "2. Assessment", "Verdict: Illegal: child sexual abuse material",
           "Legal basis: Production of child pornography (child-pornography)", "Hosting country: JP",
           "3. Evidence trail", "Received {received}", "Public · Image", "Police reference: 2026-0042",
           "Referred to the police → Deletion request pending",
           "This record contains no content and no reporter's contact."],
}


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_referral_pdf_is_a_readable_document(hl_client, session, make_user, api_token, definitions, lang: str,
                                             tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    case_id = _danger_case(session)
    analyst = make_user("analyst")
    case = service.get_case(session, case_id)
    service.add_hash(session, case, analyst, "sha256", HASH)
    service.assess(session, case, analyst, "csam", legal_basis="child-pornography", hosting_country="JP")
    service.refer_to_police(session, case, analyst, police_unit="Cybercrime Division", reference="2026-0042")
    session.commit()
    number = case.number
    received = fmt_time_jst(case.reports[0].received_at)

    h = {"Authorization": f"Bearer {api_token(analyst, STAFF_SCOPES)}"}
    r = hl_client.get(f"/api/v1/hotline/cases/{case_id}/referral.pdf?lang={lang}", headers=h)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"] == f'attachment; filename="{number}-referral.pdf"'
    assert r.content.startswith(b"%PDF-1.4") and r.content.rstrip().endswith(b"%%EOF")
    expected = [e.format(number=number, received=received) for e in READABLE[lang]]
    expected += [URL, case.canonical_url, case.reports[0].receipt, f"sha256: {HASH}", "Cybercrime Division"]
    lines = "\n".join(_pdf_strings(r.content))
    for field in expected:
        assert field in lines, field
    assert ROUTE not in lines and "@" not in lines  # no reporter contact, nothing beyond the record
    assert "basis=" not in lines and "csam" not in lines and " UTC" not in lines and "+00:00" not in lines

    path = tmp_path / "referral.pdf"
    path.write_bytes(r.content)
    done = subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                          timeout=60, check=True)
    flat = re.sub(r"\s+", "", done.stdout)  # pdftotext may break lines differently from the writer
    for field in expected:
        assert re.sub(r"\s+", "", field) in flat, field
    assert hl_client.get(f"/api/v1/hotline/cases/{case_id}/referral.pdf").status_code == 401
