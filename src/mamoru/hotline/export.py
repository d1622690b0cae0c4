"""Referral and forwarding records for the police and partner hotlines, as JSON and as PDF.

The JSON record is for programs (codes, ISO times in UTC); the PDF is the same record written as a
document for people, in the reader's language with Japan times (`referral_lines`). The record holds what mamoru holds: URLs, report metadata, assessments, hashes and the trace, never
content. Reporters' contact details are left out (the police ask the hotline if they need them).
The PDF is written directly (one font, text lines, pages): Japanese text uses the standard
Adobe-Japan1 font HeiseiKakuGo-W5, which PDF readers supply, so no font file is embedded. ASCII is
set half-width (declared in the font's /W) and lines are wrapped by width, so a long URL or a referral
line is continued on the next line rather than running off the page.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mamoru.db import utcnow
from mamoru.hotline import vocabulary
from mamoru.hotline.models import ContentHash, HotlineCase, Label, PartnerForward, PoliceReferral
from mamoru.i18n import fmt_time_jst, gettext, pick
from mamoru.plan.models import DefinitionTerm


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def referral_record(session: Session, case: HotlineCase) -> dict[str, Any]:
    referrals = session.scalars(select(PoliceReferral).where(PoliceReferral.case_id == case.id).order_by(PoliceReferral.id))
    forwards = session.scalars(select(PartnerForward).where(PartnerForward.case_id == case.id).order_by(PartnerForward.id))
    hashes = session.scalars(select(ContentHash).where(ContentHash.case_id == case.id).order_by(ContentHash.id))
    return {
        "format": "mamoru-hotline-referral/1",
        "case": case.number,
        "status": case.status,
        "url_as_reported": case.url,
        "canonical_url": case.canonical_url,
        "opened_at": _iso(case.opened_at),
        "reports": [{"receipt": r.receipt, "received_at": _iso(r.received_at), "source": r.source, "url": r.url,
                     "content_type": r.content_type, "where_found": r.where_found,
                     "immediate_danger": r.immediate_danger} for r in case.reports],
        "assessments": [{"at": _iso(a.at), "analyst": a.analyst, "verdict": a.verdict, "legal_basis": a.legal_basis,
                         "content_type": a.content_type, "severity": a.severity, "age_band": a.age_band,
                         "hosting_country": a.hosting_country, "kind": a.kind, "review": a.review_outcome}
                        for a in case.assessments],
        "hashes": [{"algorithm": h.algorithm, "value": h.value} for h in hashes],
        "trace": {"addresses": case.addresses, "network": case.network, "country": case.hosting_country,
                  "provider": case.provider.name if case.provider else None, "traced_at": _iso(case.traced_at)},
        "police_referrals": [{"at": _iso(r.at), "by": r.by, "police_unit": r.police_unit, "reference": r.reference,
                              "hold_requested": r.hold_requested, "note": r.note} for r in referrals],
        "partner_forwards": [{"at": _iso(f.at), "partner": f.partner, "country": f.country, "reference": f.reference}
                             for f in forwards],
        "police_hold": case.police_hold,
        "guidance_route": case.guidance_route,
    }


def _definition(session: Session, code: str | None, lang: str) -> str:
    term = session.scalars(select(DefinitionTerm).where(DefinitionTerm.code == code)).first() if code else None
    return f"{pick(term, 'title', lang)} ({code})" if term is not None else (code or "—")


def _label(session: Session, kind: str, code: str | None, lang: str) -> str:
    row = session.scalars(select(Label).where(Label.kind == kind, Label.code == code)).first() if code else None
    return pick(row, "title", lang) if row is not None else (code or "—")


def _assessment_lines(session: Session, case: HotlineCase, lang: str) -> list[str]:
    def t(msgid: str, **kw: object) -> str:
        return gettext(lang, msgid, **kw)

    if not case.assessments:
        return ["  " + t("Not yet assessed")]
    latest = case.assessments[-1]
    lines = [f"  {t('Verdict')}: {vocabulary.label('verdict', latest.verdict, lang)}",
             f"  {t('Legal basis')}: {_definition(session, latest.legal_basis, lang)}",
             f"  {t('Severity')}: {_label(session, 'severity', latest.severity, lang)}"
             f"   {t('Age band')}: {_label(session, 'age_band', latest.age_band, lang)}",
             f"  {t('Hosting country')}: {latest.hosting_country or '—'}", "", "  " + t("Assessments in order") + ":"]
    for a in case.assessments:
        review = (f" · {t('Quality assurance')}: {vocabulary.label('review', a.review_outcome, lang)} ({a.reviewed_by})"
                  if a.review_outcome else "")
        lines.append(f"    {fmt_time_jst(a.at)} · {a.analyst} · {vocabulary.label('verdict', a.verdict, lang)}{review}")
    return lines


def _trail_lines(session: Session, case: HotlineCase, lang: str) -> list[str]:
    def t(msgid: str, **kw: object) -> str:
        return gettext(lang, msgid, **kw)

    lines = ["  " + t("Reports") + ":"]
    for r in case.reports:
        lines.append(f"    {r.receipt} · {t('Received')} {fmt_time_jst(r.received_at)} · "
                     f"{vocabulary.label('source', r.source, lang)} · {vocabulary.label('content', r.content_type, lang)}"
                     + (f" · {t('Where found')}: {r.where_found}" if r.where_found else "")
                     + (f" · {t('Child in danger')}" if r.immediate_danger else ""))
    hashes = session.scalars(select(ContentHash).where(ContentHash.case_id == case.id).order_by(ContentHash.id))
    lines += ["", "  " + t("Hashes") + ":"] + ([f"    {h.algorithm}: {h.value}" for h in hashes] or ["    —"])
    lines += ["", "  " + t("Tracing") + ":",
              f"    {t('Addresses')}: {', '.join(case.addresses or []) or '—'} · {t('Network')}: {case.network or '—'}"
              f" · {t('Provider')}: {case.provider.name if case.provider else '—'}"
              + (f" · {fmt_time_jst(case.traced_at)}" if case.traced_at else "")]
    lines += ["", "  " + t("Police") + ":"]
    for ref in session.scalars(select(PoliceReferral).where(PoliceReferral.case_id == case.id).order_by(PoliceReferral.id)):
        lines.append(f"    {fmt_time_jst(ref.at)} · {ref.police_unit or '—'} · {t('Police reference')}: {ref.reference or '—'}"
                     f" · {ref.by}" + (f" · {t('Police hold')}" if ref.hold_requested else ""))
    for f in session.scalars(select(PartnerForward).where(PartnerForward.case_id == case.id).order_by(PartnerForward.id)):
        lines.append(f"    {fmt_time_jst(f.at)} · {t('Partner hotline')}: {f.partner} ({f.country}) {f.reference}")
    lines += ["", "  " + t("History") + ":"]
    lines += [f"    {fmt_time_jst(e.at)} · {vocabulary.label('event', e.kind, lang)}"
              + (f" → {vocabulary.label('status', e.to_status, lang)}" if e.to_status else "") for e in case.events]
    return lines


def referral_lines(session: Session, case: HotlineCase, lang: str) -> list[str]:
    """The referral record as a document a police officer reads: the case, the verdict, the evidence
    trail, in `lang`, times in Japan time. No content, no reporter's contact, no guidance route."""
    def t(msgid: str, **kw: object) -> str:
        return gettext(lang, msgid, **kw)

    hold = t("Yes") if case.police_hold else t("No")
    return [t("Referral record of hotline case {case}", case=case.number),
            t("Made {when}", when=fmt_time_jst(utcnow())), "",
            "1. " + t("Case"),
            f"  {t('Status')}: {vocabulary.label('status', case.status, lang)}   {t('Police hold')}: {hold}",
            f"  {t('Address (URL)')}: {case.url}", f"  {t('Canonical URL')}: {case.canonical_url}",
            f"  {t('Opened')}: {fmt_time_jst(case.opened_at)}   {t('Reports')}: {case.report_count}", "",
            "2. " + t("Assessment"), *_assessment_lines(session, case, lang), "",
            "3. " + t("Evidence trail"), *_trail_lines(session, case, lang), "",
            t("This record contains no content and no reporter's contact.")]


def _pdf_text(s: str) -> str:
    return "<" + s.encode("utf-16-be", "replace").hex().upper() + ">"


FONT_SIZE = 9
MARGIN = 40
PAGE_WIDTH = 595
LINE_EMS = (PAGE_WIDTH - 2 * MARGIN) / FONT_SIZE  # what fits between the margins, in em


def _ems(ch: str) -> float:
    """Advance of a character: ASCII maps to CIDs 1-95, declared half-width below; the rest full-width."""
    return 0.5 if " " <= ch <= "~" else 1.0


def wrap(line: str, width: float = LINE_EMS) -> list[str]:
    """Split a line into pieces no wider than `width` em (an empty line stays one empty line)."""
    pieces, current, used = [], "", 0.0
    for ch in line:
        if current and used + _ems(ch) > width:
            pieces.append(current)
            current, used = "", 0.0
        current += ch
        used += _ems(ch)
    return [*pieces, current]


def text_pdf(lines: list[str], per_page: int = 50) -> bytes:
    """A minimal PDF 1.4: A4 pages of text lines in a CID font (UniJIS-UCS2-H covers Japanese)."""
    wrapped = [piece for line in lines for piece in wrap(line)]
    pages = [wrapped[i:i + per_page] for i in range(0, len(wrapped), per_page)] or [[]]
    objects: list[bytes] = []
    n_pages = len(pages)
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(n_pages))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type0 /BaseFont /HeiseiKakuGo-W5 /Encoding /UniJIS-UCS2-H "
                   b"/DescendantFonts [<< /Type /Font /Subtype /CIDFontType0 /BaseFont /HeiseiKakuGo-W5 "
                   b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Japan1) /Supplement 2 >> /DW 1000 /W [1 95 500] >>] >>")
    for i, page in enumerate(pages):
        ops = ["BT", f"/F1 {FONT_SIZE} Tf", "12 TL", f"{MARGIN} 800 Td"] + [f"{_pdf_text(line)} Tj T*" for line in page] + ["ET"]
        stream = "\n".join(ops).encode("ascii")
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
                       f"/Contents {5 + 2 * i} 0 R >>".encode())
        objects.append(b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def referral_pdf(session: Session, case: HotlineCase, lang: str = "ja") -> bytes:
    return text_pdf(referral_lines(session, case, lang))
