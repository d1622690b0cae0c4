"""Spreadsheet round trip (XLSX and CSV) matched by stable ids; conflicts and bad cells reported by
row and column with nothing saved."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from tests.factories.followup import reporting_round

from mamoru.auth import roles
from mamoru.errors import InvalidInput
from mamoru.followup import entries as svc
from mamoru.followup import spreadsheet
from mamoru.followup.models import EntryVersion, RoundEntry
from mamoru.followup.workflow import Content


def _edit_xlsx(data: bytes, edits: dict[tuple[int, str], str]) -> bytes:
    wb = load_workbook(io.BytesIO(data))
    ws = wb.active
    header = [c.value for c in ws[1]]
    for (row, col), value in edits.items():
        ws.cell(row=row, column=header.index(col) + 1, value=value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _row_of(rows: list[dict[str, str]], code: str, agency: str) -> int:
    return next(i for i, r in enumerate(rows, start=2) if r["code"] == code and r["agency"] == agency)


def test_xlsx_round_trip_matches_stable_ids(fu, make_user) -> None:  # type: ignore[no-untyped-def]
    r = reporting_round(fu)
    officer = make_user(roles.AGENCY_OFFICER, agency="MIC")
    rows = spreadsheet.export_rows(fu, r, "MIC")
    assert {x["agency"] for x in rows} == {"MIC"} and len(rows) == 2
    data = spreadsheet.write(rows, "xlsx")
    n = _row_of(rows, "3-2", "MIC")
    edited = _edit_xlsx(data, {(n, "status"): "in_progress", (n, "narrative_ja"): "事業者への要請を実施した。",
                               (n, "figures"): "Requests | 要請件数 | 41 | requests | FY2023",
                               (n, "evidence"): "https://www.soumu.go.jp/example 総務省資料"})
    result = spreadsheet.import_rows(fu, r, spreadsheet.read(edited, "xlsx"), officer)
    assert len(result.changed) == 1 and result.unchanged == 1
    e = fu.query(RoundEntry).filter_by(key=rows[n - 2]["entry_id"]).one()
    assert e.status.key == "in_progress" and e.figures[0]["value"] == "41" and e.evidence[0]["title"] == "総務省資料"
    assert e.versions[-1].action == "import"
    # the exported sheet reads back unchanged
    again = spreadsheet.read(spreadsheet.write(spreadsheet.export_rows(fu, r, "MIC"), "xlsx"), "xlsx")
    assert spreadsheet.import_rows(fu, r, again, officer).changed == []


def test_csv_round_trip(fu) -> None:  # type: ignore[no-untyped-def]
    r = reporting_round(fu)
    rows = spreadsheet.export_rows(fu, r)
    text = spreadsheet.write(rows, "csv").decode("utf-8-sig")
    text = text.replace(",draft,,,", ",draft,implemented,,", 1)
    result = spreadsheet.import_rows(fu, r, spreadsheet.read(text.encode(), "csv"), None)
    assert len(result.changed) == 1


def test_bad_cells_and_conflicts_reported_and_nothing_saved(fu, make_user) -> None:  # type: ignore[no-untyped-def]
    r = reporting_round(fu)
    rows = spreadsheet.export_rows(fu, r)
    data = spreadsheet.write(rows, "xlsx")
    a, b, c, d = (_row_of(rows, "1-1", "NPA"), _row_of(rows, "1-1", "MIC"), _row_of(rows, "1-2", "CAO"),
                  _row_of(rows, "3-1", "MOJ"))
    # entry c changes after the export: the sheet's version is stale
    e = fu.query(RoundEntry).filter_by(key=rows[c - 2]["entry_id"]).one()
    svc.save_entry(fu, e, None, Content("implemented", "", "内閣府の広報", [], []))
    fu.commit()
    before = fu.query(EntryVersion).count()
    edited = _edit_xlsx(data, {
        (a, "status"): "implemented", (a, "narrative_ja"): "良い変更",            # fine on its own
        (b, "status"): "finished",                                                 # unknown status
        (c, "narrative_ja"): "古い版からの変更",                                    # version conflict
        (d, "figures"): "only | three | parts",                                    # malformed figures
        (d, "evidence"): "ftp://example.org/file",                                # not http(s)
    })
    with pytest.raises(InvalidInput) as info:
        spreadsheet.import_rows(fu, r, spreadsheet.read(edited, "xlsx"), None)
    where = {(p.row, p.field.split(" ")[0]) for p in info.value.problems}
    assert {(b, "status"), (c, "version"), (d, "figures"), (d, "evidence")} <= where
    assert all("column" in p.field for p in info.value.problems)
    fu.rollback()
    assert fu.query(EntryVersion).count() == before
    assert fu.query(RoundEntry).filter_by(key=rows[a - 2]["entry_id"]).one().narrative_ja == ""


def test_officer_cannot_import_other_agencies_rows(fu, make_user) -> None:  # type: ignore[no-untyped-def]
    r = reporting_round(fu)
    officer = make_user(roles.AGENCY_OFFICER, agency="NPA")
    rows = spreadsheet.export_rows(fu, r)
    n = _row_of(rows, "3-2", "METI")
    edited = _edit_xlsx(spreadsheet.write(rows, "xlsx"), {(n, "narrative_ja"): "他省の欄"})
    with pytest.raises(InvalidInput, match="METI"):
        spreadsheet.import_rows(fu, r, spreadsheet.read(edited, "xlsx"), officer)


def test_unreadable_file_and_missing_columns() -> None:
    with pytest.raises(InvalidInput):
        spreadsheet.read(b"not a workbook", "xlsx")
    with pytest.raises(InvalidInput, match="column missing"):
        spreadsheet.read(b"entry_id,version\nx,1\n", "csv")
