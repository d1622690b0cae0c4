"""The plan loader on a small data file: loads, is safe to run twice, never overwrites amendments,
and records successions per assignment."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mamoru.plan.loader import load_plan
from mamoru.plan.models import Measure
from mamoru.plan.service import amend_measure, get_measure

DATA = {
    "format": "mamoru-plan/1",
    "data_version": "test.1",
    "agencies": [
        {"code": "NPSC", "name_en": "National Public Safety Commission", "name_ja": "国家公安委員会", "parent": None},
        {"code": "NPA", "name_en": "National Police Agency", "name_ja": "警察庁", "parent": "NPSC"},
        {"code": "MHLW", "name_en": "Ministry of Health, Labour and Welfare", "name_ja": "厚生労働省"},
        {"code": "CFA", "name_en": "Children and Families Agency", "name_ja": "こども家庭庁", "valid_from": "2023-04-01"},
    ],
    "successions": [{"key": "mhlw-cfa", "predecessor": "MHLW", "successor": "CFA", "effective_on": "2023-04-01",
                     "partial": True}],
    "bodies": [{"key": "mm", "name_en": "Ministerial Meeting", "name_ja": "閣僚会議"}],
    "plans": [{
        "key": "p1", "title_en": "Plan", "title_ja": "計画", "decided_on": "2017-04-18", "decided_by": "mm",
        "coordinator": "NPSC", "status": "in_force", "measures_total": 3,
        "pillars": [{"number": 1, "title_en": "Pillar one", "title_ja": "柱一", "background": [{"en": "b", "ja": "背"}],
                     "measures": [
                         {"id": "t-1", "code": "1-1", "title_en": "Police thing", "agencies": ["NPA"], "main": True},
                         {"id": "t-2", "code": "1-2", "title_en": "Child guidance", "agencies": ["MHLW", "NPA"],
                          "successions": {"MHLW": "mhlw-cfa"}, "main": True},
                     ]}],
    }],
    "definitions": [{"code": "cp", "title_en": "Child pornography", "title_ja": "児童ポルノ"}],
    "prefectures": [{"code": "13", "name_en": "Tokyo", "name_ja": "東京都"}],
    "timeline": [{"date": "2016-03-01", "precision": "month", "kind": "cabinet-decision", "title_en": "Decision",
                  "title_ja": "決定"}],
}


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    p = tmp_path / "plan.yaml"
    p.write_text(yaml.safe_dump(DATA, allow_unicode=True), encoding="utf-8")
    return p


def test_load_twice_adds_nothing_the_second_time(session: Session, data_file: Path) -> None:
    first = load_plan(session, None, data_file)
    assert first.added["measures"] == 2 and first.added["agencies"] == 4
    second = load_plan(session, None, data_file)
    assert second.total_added == 0
    assert session.scalar(select(func.count()).select_from(Measure)) == 2


def test_reload_never_overwrites_an_amendment(session: Session, data_file: Path) -> None:
    load_plan(session, None, data_file)
    amend_measure(session, get_measure(session, "t-1"), None, {"title_en": "Amended"}, "fix")
    load_plan(session, None, data_file)
    assert get_measure(session, "t-1").title_en == "Amended"


def test_succession_is_per_assignment(session: Session, data_file: Path) -> None:
    load_plan(session, None, data_file)
    m = get_measure(session, "t-2")
    by_code = {a.agency.code: a for a in m.assignments}
    assert [a.agency.code for a in m.assignments] == ["MHLW", "NPA"]
    assert by_code["MHLW"].agency_on(date(2022, 1, 1)).code == "MHLW"
    assert by_code["MHLW"].agency_on(date(2024, 1, 1)).code == "CFA"
    assert by_code["NPA"].agency_on(date(2024, 1, 1)).code == "NPA"


def test_unknown_agency_in_data_is_refused(session: Session, tmp_path: Path) -> None:
    bad = {**DATA, "plans": [{**DATA["plans"][0], "key": "p2", "pillars": [
        {"number": 1, "title_en": "x", "title_ja": "x", "measures": [{"id": "t-9", "code": "1-1", "title_en": "x",
                                                                     "agencies": ["NOPE"]}]}]}]}
    p = tmp_path / "bad.yaml"
    p.write_text(yaml.safe_dump(bad), encoding="utf-8")
    with pytest.raises(ValueError, match="unknown agency code 'NOPE'"):
        load_plan(session, None, p)
