"""The printed report has no orphan headings or captions: pdftotext reads each page of the PDF, in
Japanese and English, and a page holding only headings (or a chart's source line) fails."""

from __future__ import annotations

import html as htmllib
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from tests.factories.followup import accepted_entry, reporting_round

from mamoru.followup.report import _pdf_of, build, render_html, render_pdf
from mamoru.followup.rounds import publish_round

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
FOOTER = re.compile(r"^\d+/\d+$")  # the page number, spaces removed


def headings_of(html: str) -> list[str]:
    return [re.sub(r"\s+", "", htmllib.unescape(re.sub(r"<[^>]+>", "", h)))
            for h in re.findall(r"<h[1-4][^>]*>(.*?)</h[1-4]>", html, re.S)]


def orphan_pages(pdf: bytes, html: str, tmp: Path, captions: tuple[str, ...]) -> list[tuple[int, list[str]]]:
    """Pages whose every line (page numbers and the draft mark aside) is part of a heading or a caption,
    or whose last line is a heading (its text went on to the next page)."""
    (tmp / "r.pdf").write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(tmp / "r.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    headings = headings_of(html)

    def heading(line: str) -> bool:
        return len(line) > 1 and any(line in h for h in headings)

    out = []
    for n, page in enumerate(text.split("\f")[:-1], start=1):
        lines = [re.sub(r"\s+", "", x) for x in page.splitlines() if x.strip()]
        lines = [x for x in lines if not FOOTER.match(x) and x not in ("草案：未了承・未公表", "DRAFT:notyetapprovedorpublished")]
        if lines and (all(heading(x) or x.startswith(captions) for x in lines) or heading(lines[-1])):
            out.append((n, lines[-3:]))
    return out


def test_the_checker_finds_a_heading_left_alone(tmp_path: Path) -> None:
    from weasyprint import HTML

    alone = '<p>intro</p><h2 style="break-before: page; break-after: page">Indicators</h2><p>the chart</p>'
    assert [n for n, _ in orphan_pages(HTML(string=alone).write_pdf(), alone, tmp_path, ("Source:",))] == [2]
    bottom = '<p>intro</p><h2>Indicators</h2><p style="break-before: page">the chart, on the next page</p>'
    assert orphan_pages(HTML(string=bottom).write_pdf(), bottom, tmp_path, ("Source:",)) == [(1, ["intro", "Indicators"])]
    caption = '<p>the chart</p><p style="break-before: page; break-after: page">Source: NPA</p><p>more</p>'
    assert [n for n, _ in orphan_pages(HTML(string=caption).write_pdf(), caption, tmp_path, ("Source:",))] == [2]
    fine = '<h2>Indicators</h2><p>the chart</p>'
    assert orphan_pages(HTML(string=fine).write_pdf(), fine, tmp_path, ("Source:",)) == []


def test_no_page_holds_only_a_heading(ref, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = reporting_round(ref)
    long = "。".join(f"第{i}段落：研修と広報を実施し、関係機関と連携した" for i in range(18)) + "。"
    for code, agency in (("1-1", "NPA"), ("1-1", "MIC"), ("1-2", "CAO"), ("2-1", "CFA"), ("2-1", "MEXT"),
                         ("2-2", "CFA"), ("2-3", "MHLW"), ("3-1", "NPA"), ("3-1", "MOJ")):
        accepted_entry(ref, code, agency, long, "We held training. " * 40)
    publish_round(ref, None, r)
    ref.commit()
    for lang, captions in (("ja", ("出典:", "出典：")), ("en", ("Source:",))):
        data = build(ref, r, lang)
        html, pdf = render_html(data), render_pdf(data)
        assert orphan_pages(pdf, html, tmp_path, captions) == [], lang
    _pdf_of.cache_clear()
