"""Migration fu0006 on a database from before review: its values stay public (approved), the shipped
indicators left unlinked get the measures the reference data now names, the age bands name their
dimension, and the monthly and percent indicators get their periodicity and scale (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import MetaData, Table, insert, select
from sqlalchemy.orm import Session
from tests.conftest import BACKENDS, fresh_database_url

from mamoru.db import make_engine, utcnow
from mamoru.followup.models import Indicator, IndicatorValue
from mamoru.migrate import upgrade

BEFORE = [  # (code, unit, pillars, measures, breakdown) as databases loaded before fu0006 hold them
    ("prefectures-jk-ordinance", "prefectures", [4], [], []),
    ("victims-by-age", "children", [1], [], ["preschool", "elementary", "junior-high", "high-school", "other"]),
    ("icsa-isps", "providers", [3], [], []),
    ("minors-filtering-share", "%", [2, 3], ["bp17-3-01"], []),  # linked by the office since: left as it is
]


@pytest.mark.parametrize("backend", BACKENDS)
def test_values_stay_public_and_shipped_indicators_are_linked(backend: str, tmp_path: Path) -> None:
    url, drop = fresh_database_url(backend, tmp_path)
    engine = make_engine(url)
    try:
        upgrade(engine, "fu0005")
        indicators = Table("fu_indicators", MetaData(), autoload_with=engine)
        values = Table("fu_indicator_values", MetaData(), autoload_with=engine)
        with Session(engine) as s:
            for pos, (code, unit, pillars, measures, breakdown) in enumerate(BEFORE):
                ind_id = s.execute(insert(indicators).values(
                    code=code, title_en=code, title_ja=code, unit_en=unit, unit_ja=unit, direction="higher",
                    period_type="calendar", source_en="", source_ja="", note_en="", note_ja="", pillars=pillars,
                    measures=measures, breakdown=breakdown, position=pos)).inserted_primary_key[0]
                s.execute(insert(values).values(indicator_id=ind_id, period="2011-04", category="", value=9.0,
                                                status="final", source="press", note="", entered_by="office",
                                                entered_at=utcnow()))
            s.commit()
        upgrade(engine)
        with Session(engine) as s:
            got = {i.code: i for i in s.scalars(select(Indicator))}
            assert got["prefectures-jk-ordinance"].measures == ["bp17-5-01"]
            assert got["prefectures-jk-ordinance"].pillars == [5]
            assert got["victims-by-age"].breakdown[1] == "age:elementary"
            assert got["minors-filtering-share"].measures == ["bp17-3-01"] and got["minors-filtering-share"].scale == "percent"
            assert got["icsa-isps"].periodicity == "monthly" and got["prefectures-jk-ordinance"].periodicity == "yearly"
            held = list(s.scalars(select(IndicatorValue)))
            assert len(held) == 4 and all(v.review == "approved" and v.approved_by == "office" for v in held)
    finally:
        engine.dispose()
        drop()
