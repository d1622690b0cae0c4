"""Hostile XLSX files are refused quickly with a reason, before openpyxl does the work they ask for.

The files are built here (zipfile with crafted XML), from a benign workbook openpyxl writes:
a billion-laughs entity expansion, a zip bomb (one entry inflating far past the limit), and a
sheet whose dimension declares every cell of the grid (openpyxl's read-only reader pads to it:
that is how a 290 KB file held the office process for 48 s).
"""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mamoru.errors import InvalidInput
from mamoru.xlsx import MAX_UNCOMPRESSED_BYTES, SpreadsheetRefused, read_sheet

SHEET = "xl/worksheets/sheet1.xml"
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def benign_workbook() -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["entry_id", "version"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def with_entry(name: str, content: bytes, compress: int = zipfile.ZIP_DEFLATED) -> bytes:
    """The benign workbook with entry `name` replaced by (or added as) `content`."""
    src = zipfile.ZipFile(io.BytesIO(benign_workbook()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compress) as dst:
        for info in src.infolist():
            if info.filename != name:
                dst.writestr(info.filename, src.read(info.filename))
        dst.writestr(name, content)
    return out.getvalue()


def billion_laughs() -> bytes:
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    xml = (f'<?xml version="1.0"?><!DOCTYPE worksheet [{entities}]>'
           f'<worksheet {NS}><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
           f'</sheetData></worksheet>')
    return with_entry(SHEET, xml.encode())


def zip_bomb() -> bytes:
    pad = b" " * (MAX_UNCOMPRESSED_BYTES + 1024 * 1024)  # whitespace inside the XML: it deflates ~1000 to 1
    xml = f'<?xml version="1.0"?><worksheet {NS}><sheetData>'.encode() + pad + b"</sheetData></worksheet>"
    return with_entry(SHEET, xml)


def padded_dimension() -> bytes:
    xml = (f'<?xml version="1.0"?><worksheet {NS}><dimension ref="A1:XFD1048576"/><sheetData>'
           '<row r="1"><c r="A1" t="inlineStr"><is><t>entry_id</t></is></c></row>'
           '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
           '</sheetData></worksheet>')
    return with_entry(SHEET, xml.encode())


def many_entries() -> bytes:
    src = benign_workbook()
    out = io.BytesIO(src)
    with zipfile.ZipFile(out, "a") as z:
        for i in range(1_200):
            z.writestr(f"xl/media/pad{i}.bin", b"")
    return out.getvalue()


HOSTILE: dict[str, tuple[Callable[[], bytes], str]] = {
    "billion laughs": (billion_laughs, "entities"),
    "zip bomb": (zip_bomb, "MB"),
    "padded dimension": (padded_dimension, "declares"),
    "too many entries": (many_entries, "entries"),
}


def test_openpyxl_reads_xml_through_defusedxml() -> None:
    import openpyxl

    assert openpyxl.DEFUSEDXML is True  # defusedxml is installed (a dependency) and openpyxl took it


def test_the_benign_workbook_is_read() -> None:
    assert read_sheet(benign_workbook()) == [("entry_id", "version")]


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_readers_refuse_hostile_workbooks_quickly(kind: str) -> None:
    from mamoru.followup import spreadsheet
    from mamoru.plan.io import read_rows

    make, reason = HOSTILE[kind]
    data = make()
    assert len(data) < 3 * 1024 * 1024
    for read in (read_sheet, lambda d: spreadsheet.read(d, "xlsx"), lambda d: read_rows(d, "xlsx")):
        started = time.perf_counter()
        with pytest.raises((SpreadsheetRefused, InvalidInput)) as refused:
            read(data)
        assert time.perf_counter() - started < 2
        assert reason in str(refused.value) and "refused" in str(refused.value)


def test_defusedxml_refuses_entities_even_past_the_archive_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """Second line of defence: with the archive check off, openpyxl (through defusedxml) still refuses."""
    import mamoru.xlsx as x

    monkeypatch.setattr(x, "check_workbook", lambda data: None)
    started = time.perf_counter()
    with pytest.raises(SpreadsheetRefused, match="not a readable XLSX"):
        read_sheet(billion_laughs())
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize("kind", sorted(HOSTILE))
@pytest.mark.parametrize("door", ["api", "page"])
def test_the_round_import_answers_4xx_with_the_reason_quickly(app: Any, loaded: Any, make_user: Any,
                                                             api_token: Any, kind: str, door: str) -> None:
    from tests.conftest import login

    from mamoru.followup import rounds

    coordinator = make_user("coordinator")
    r0 = rounds.open_round(loaded, coordinator, [2024], date(2030, 1, 1))
    loaded.commit()
    make, reason = HOSTILE[kind]
    files = {"file": ("sheet.xlsx", make(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}
    with TestClient(app, raise_server_exceptions=False) as client:
        if door == "page":
            csrf = login(client, coordinator.username)
        started = time.perf_counter()
        if door == "api":
            res = client.post(f"/api/v1/followup/rounds/{r0.id}/import", files=files,
                              headers={"Authorization": f"Bearer {api_token(coordinator, ['plan:read', 'plan:write'])}"})
        else:
            res = client.post(f"/followup/rounds/{r0.id}/import", data={"csrf_token": csrf}, files=files)
        took = time.perf_counter() - started
    assert 400 <= res.status_code < 500, res.text[:300]
    assert reason in res.text
    assert took < 10, took  # refused before parsing: the same file took 48 s (and 2 GB) before; 10 s leaves room on a loaded CI machine


def test_control_characters_in_a_narrative_leave_the_round_export_a_valid_workbook(
        app: Any, loaded: Any, make_user: Any, api_token: Any) -> None:
    """XML 1.0 cannot hold most C0 control characters: openpyxl raises IllegalCharacterError on
    them, which failed the whole round's export (500) for one pasted \\x01. They are written as
    U+FFFD; the rest of the text, and the other characters XML may hold (tab, line feed), stay."""
    from openpyxl import load_workbook

    from mamoru.followup import rounds
    from mamoru.followup.models import RoundEntry

    coordinator = make_user("coordinator")
    r0 = rounds.open_round(loaded, coordinator, [2024], date(2030, 1, 1))
    entry = loaded.query(RoundEntry).filter_by(round_id=r0.id).order_by(RoundEntry.id).first()
    entry.narrative_en = "before\x01middle\x0bafter\ttab\nline"
    entry.narrative_ja = "\x1f前\x02後"  # no NUL: PostgreSQL text cannot hold it
    loaded.commit()
    with TestClient(app, raise_server_exceptions=False) as client:
        res = client.get(f"/api/v1/followup/rounds/{r0.id}/export.xlsx",
                         headers={"Authorization": f"Bearer {api_token(coordinator, ['plan:read'])}"})
    assert res.status_code == 200, res.text[:300]
    ws = load_workbook(io.BytesIO(res.content), read_only=True).active
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    header = rows[0]
    row = next(r for r in rows[1:] if r[header.index("entry_id")] == entry.key)
    assert row[header.index("narrative_en")] == "before\ufffdmiddle\ufffdafter\ttab\nline"
    assert row[header.index("narrative_ja")] == "\ufffd前\ufffd後"
