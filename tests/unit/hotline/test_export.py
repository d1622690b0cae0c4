"""The referral PDF is a well-formed PDF whose cross-reference table points at its objects."""

from __future__ import annotations

import re

from mamoru.hotline.export import text_pdf


def test_pdf_structure_and_japanese_text() -> None:
    data = text_pdf(["通報事案 C0000001", "URL: http://example.test/x"] + [f"line {i}" for i in range(120)])
    assert data.startswith(b"%PDF-1.4") and data.rstrip().endswith(b"%%EOF")
    xref_at = int(re.search(rb"startxref\n(\d+)", data).group(1))  # type: ignore[union-attr]
    assert data[xref_at:xref_at + 4] == b"xref"
    offsets = [int(m) for m in re.findall(rb"(\d{10}) 00000 n", data)]
    for n, off in enumerate(offsets, start=1):
        assert data[off:].startswith(f"{n} 0 obj".encode())
    assert b"/Count 3" in data  # 122 lines, 50 per page
    assert "通報事案".encode("utf-16-be").hex().upper().encode() in data


def test_lines_wrap_within_the_page_and_lose_nothing() -> None:
    """A long URL or referral line continues on the next line instead of running off the A4 page."""
    import random

    from mamoru.hotline.export import LINE_EMS, _ems, wrap

    rng = random.Random(5)
    alphabet = "abcXYZ019/:?=&.- 通報事案児童相談所"
    for _ in range(300):
        line = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 400)))
        pieces = wrap(line)
        assert "".join(pieces) == line
        assert all(sum(_ems(c) for c in p) <= LINE_EMS for p in pieces)
        assert all(p for p in pieces) or pieces == [""]
    assert len(wrap("x" * 114)) == 1 and len(wrap("x" * 115)) == 2  # half-width ASCII: 114 fit in 515 pt at 9 pt
    assert len(wrap("通" * 57)) == 1 and len(wrap("通" * 58)) == 2
    assert b"/W [1 95 500]" in text_pdf(["x"])
