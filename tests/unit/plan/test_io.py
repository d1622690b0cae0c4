"""Measure list import: lineage to the previous plan, validation by row and field, all or nothing."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from sqlalchemy.orm import Session

from mamoru.errors import InvalidInput
from mamoru.plan.io import export_rows, import_measures, read_rows, write_rows
from mamoru.plan.loader import load_plan
from mamoru.plan.service import dropped_measures, get_measure, get_plan, successors

from .test_loader import DATA  # type: ignore[import-not-found]


@pytest.fixture
def two_plans(session: Session, tmp_path: Path) -> Session:
    data = copy.deepcopy(DATA)
    data["plans"][0]["status"] = "superseded"
    data["plans"].append({"key": "p2", "title_en": "Plan 2022", "title_ja": "計画2022", "decided_on": "2022-05-20",
                          "status": "in_force", "supersedes": "p1",
                          "pillars": [{"number": 1, "title_en": "Pillar one", "title_ja": "柱一", "measures": []}]})
    p = tmp_path / "d.yaml"
    p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    load_plan(session, None, p)
    return session


def _rows(*rows: dict[str, str]) -> list[tuple[int, dict[str, str]]]:
    return [(i, r) for i, r in enumerate(rows, start=2)]


def test_lineage_links_new_plan_to_old(two_plans: Session) -> None:
    s = two_plans
    p2 = get_plan(s, "p2")
    rows = _rows({"code": "1-1", "pillar": "1", "title_en": "Police thing, revised", "agencies": "NPA",
                  "lineage": "revised", "predecessors": "t-1"},
                 {"code": "1-2", "pillar": "1", "title_en": "Brand new", "agencies": "CFA", "lineage": "new"})
    result = import_measures(s, p2, rows, None, "2022 revision")
    assert len(result.created) == 2
    old = get_measure(s, "t-1")
    assert [x.measure.title_en for x in successors(s, old)] == ["Police thing, revised"]
    assert [m.uid for m in dropped_measures(s, p2)] == ["t-2"]
    exported = export_rows(s, p2)
    assert exported[0]["lineage"] == "revised" and exported[0]["predecessors"] == "t-1"
    assert exported[1]["lineage"] == "new" and exported[1]["predecessors"] == ""


@pytest.mark.parametrize("lineage,preds,message", [
    ("revised", "", "names its predecessor"),
    ("merged", "t-1", "at least two"),
    ("new", "t-1", "has no predecessor"),
    ("renamed", "t-1", "must be one of"),
    ("revised", "t-404", "no measure 't-404'"),
])
def test_bad_lineage_is_refused(two_plans: Session, lineage: str, preds: str, message: str) -> None:
    p2 = get_plan(two_plans, "p2")
    rows = _rows({"code": "1-1", "pillar": "1", "title_en": "x", "agencies": "NPA", "lineage": lineage,
                  "predecessors": preds})
    with pytest.raises(InvalidInput) as e:
        import_measures(two_plans, p2, rows, None, "r")
    assert any(message in p.reason for p in e.value.problems)
    assert all(p.row == 2 for p in e.value.problems)
    assert export_rows(two_plans, p2) == []


def test_csv_header_missing_required_column(two_plans: Session) -> None:
    with pytest.raises(InvalidInput) as e:
        read_rows(b"code,title_en\n1-1,x\n", "csv")
    assert {p.field for p in e.value.problems} == {"pillar", "agencies"}


def test_non_utf8_csv_refused() -> None:
    with pytest.raises(InvalidInput, match="not UTF-8"):
        read_rows("code,pillar,title_en,agencies\n1-1,1,児童,NPA\n".encode("shift_jis"), "csv")


def test_round_trip_every_format(two_plans: Session) -> None:
    p1 = get_plan(two_plans, "p1")
    rows = export_rows(two_plans, p1)
    for fmt in ("csv", "xlsx", "yaml"):
        parsed = read_rows(write_rows(rows, fmt), fmt)
        result = import_measures(two_plans, p1, parsed, None, "round trip")
        assert result.created == [] and result.amended == [] and result.unchanged == len(rows)


def test_a_repeated_id_or_code_names_the_row_it_repeats(two_plans: Session) -> None:
    p2 = get_plan(two_plans, "p2")
    row = {"id": "new-1", "code": "1-1", "pillar": "1", "title_en": "x", "agencies": "NPA", "lineage": "new"}
    with pytest.raises(InvalidInput) as e:
        import_measures(two_plans, p2, _rows(row, dict(row)), None, "r")
    assert {(p.row, p.field, p.reason) for p in e.value.problems} >= {(3, "id", "repeats row 2"),
                                                                     (3, "code", "repeats row 2")}
