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
