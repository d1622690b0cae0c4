"""Referral and forwarding records for the police and partner hotlines, as JSON and as PDF.

The record holds what mamoru holds: URLs, report metadata, assessments, hashes and the trace, never
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

from mamoru.hotline.models import ContentHash, HotlineCase, PartnerForward, PoliceReferral


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


def record_lines(record: dict[str, Any]) -> list[str]:
    lines = [f"通報事案 / Hotline case {record['case']}", "",
             f"URL (as reported): {record['url_as_reported']}", f"Canonical URL: {record['canonical_url']}",
             f"Opened: {record['opened_at']}   Status: {record['status']}", "", "通報 / Reports:"]
    lines += [f"  {r['receipt']}  {r['received_at']}  {r['source']}  {r['content_type']}" for r in record["reports"]]
    lines += ["", "判定 / Assessments:"]
    lines += [f"  {a['at']}  {a['analyst']}  {a['verdict']}  basis={a['legal_basis']}  country={a['hosting_country']}"
              for a in record["assessments"]]
    lines += ["", "ハッシュ / Hashes:"] + [f"  {h['algorithm']}: {h['value']}" for h in record["hashes"]]
    t = record["trace"]
    lines += ["", f"Trace: {', '.join(t['addresses'] or [])}  network={t['network']}  country={t['country']}  provider={t['provider']}"]
    lines += ["", "警察への情報提供 / Police referrals:"]
    lines += [f"  {r['at']}  {r['by']}  {r['police_unit']}  ref={r['reference']}  hold={r['hold_requested']}"
              for r in record["police_referrals"]]
    lines += ["", "この記録には違法情報そのものは含まれていません。 This record contains no content."]
    return lines


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


def referral_pdf(session: Session, case: HotlineCase) -> bytes:
    return text_pdf(record_lines(referral_record(session, case)))
