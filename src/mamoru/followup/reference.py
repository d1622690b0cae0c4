"""Loads the follow-up's shipped reference data; safe to run any number of times.

Indicators with their published values (each with its source), the WePROTECT Model National
Response, national consultation services, the bodies' chairs and secretariats with meetings on
record, and the 47 prefectures when the plan data has not added them. Rows are matched on their
keys; existing rows are left as they are, so what the plan office changed is never overwritten.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from mamoru import audit
from mamoru.auth.models import User
from mamoru.db import utcnow
from mamoru.followup.models import (
    BodyProfile,
    Capability,
    ConsultationService,
    Decision,
    Indicator,
    IndicatorValue,
    MeasureCapability,
    Meeting,
    ReportingRound,
)
from mamoru.plan.models import Agency, Body, Measure, Prefecture

SHIPPED = "reference data"
"""Who entered and approved the shipped values (published figures), and proposed the shipped mapping."""


def data_dir() -> Path:
    return Path(str(resources.files("mamoru") / "data" / "followup"))


@cache
def read(name: str) -> dict[str, Any]:
    data = yaml.safe_load((data_dir() / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def prefecture_grid() -> list[tuple[str, str, str, int, int]]:
    """(code, Japanese name, English name, column, row) for the tile map."""
    return [(str(c), ja, en, int(x), int(y)) for c, ja, en, x, y in read("prefecture-grid.yaml")["prefectures"]]


def _d(value: Any) -> date | None:
    return value if isinstance(value, date) or value is None else date.fromisoformat(str(value))


def load_reference(session: Session, actor: User | None = None) -> dict[str, int]:
    added: dict[str, int] = {}

    def bump(kind: str) -> None:
        added[kind] = added.get(kind, 0) + 1

    _prefectures(session, bump)
    _indicators(session, bump)
    _capabilities(session, bump)
    _services(session, bump)
    _bodies(session, bump)
    session.flush()
    if added:
        audit.record(session, actor, "followup:reference:load", "data:followup", {"added": added})
    return added


def _prefectures(session: Session, bump: Any) -> None:
    have = set(session.scalars(select(Prefecture.code)))
    for code, ja, en, _x, _y in prefecture_grid():
        if code not in have:
            session.add(Prefecture(code=code, name_ja=ja, name_en=en))
            bump("prefectures")


def _indicators(session: Session, bump: Any) -> None:
    have = set(session.scalars(select(Indicator.code)))
    for pos, row in enumerate(read("indicators.yaml")["indicators"], start=1):
        if row["code"] in have:
            continue
        ind = Indicator(code=row["code"], title_en=row["title_en"], title_ja=row["title_ja"],
                        unit_en=str(row.get("unit_en", "")), unit_ja=str(row.get("unit_ja", "")),
                        direction=row.get("direction", "lower"), period_type=row.get("period_type", "calendar"),
                        source_en=row.get("source_en", ""), source_ja=row.get("source_ja", ""),
                        note_en=row.get("note_en", ""), note_ja=row.get("note_ja", ""),
                        pillars=row.get("pillars", []), measures=row.get("measures", []),
                        breakdown=row.get("breakdown", []), target_value=row.get("target_value"),
                        target_period=row.get("target_period"), provider=row.get("provider"), position=pos,
                        periodicity=row.get("periodicity", "yearly"), scale=row.get("scale", _scale(row)))
        session.add(ind)
        session.flush()
        previous: dict[str, IndicatorValue] = {}
        for v in row.get("values", []):
            val = IndicatorValue(indicator_id=ind.id, period=str(v["period"]), value=float(v["value"]),
                                 status=v.get("status", "final"), source=v["source"],
                                 published_on=_d(v.get("published_on")), category=v.get("category", ""),
                                 entered_by=SHIPPED, review="approved", approved_by=SHIPPED, approved_at=utcnow())
            session.add(val)
            session.flush()
            if v.get("corrects") and str(v["period"]) in previous:
                previous[str(v["period"])].superseded_by_id = val.id
                val.corrects_id = previous[str(v["period"])].id
            previous[str(v["period"])] = val
            bump("indicator values")
        bump("indicators")


def _scale(row: dict[str, Any]) -> str:
    """The value range of a shipped indicator that does not name it: percent for %, else a count."""
    return "percent" if str(row.get("unit_en")) == "%" else "quantity" if row.get("unit_en") == "days" else "count"


def _capabilities(session: Session, bump: Any) -> None:
    data = read("weprotect.yaml")
    have = set(session.scalars(select(Capability.number).where(Capability.framework == data["key"])))
    for dom in data["domains"]:
        for number, en, ja in dom["capabilities"]:
            if number not in have:
                session.add(Capability(framework=data["key"], number=number, domain_key=dom["key"],
                                       domain_en=dom["en"], domain_ja=dom["ja"], title_en=en, title_ja=ja))
                bump("capabilities")
    _proposed_mapping(session, data, bump)


def _proposed_mapping(session: Session, data: dict[str, Any], bump: Any) -> None:
    """The shipped mapping of the plan's measures to the capabilities, proposed (not confirmed) until the
    plan office confirms it; only into an empty mapping, so what the office changed is never redone."""
    if session.scalar(select(MeasureCapability.id).limit(1)) is not None:
        return
    session.flush()
    caps = {c.number: c.id for c in session.scalars(select(Capability).where(Capability.framework == data["key"]))}
    measures = {m.uid: m.id for m in session.scalars(select(Measure).where(Measure.uid.in_(data["proposed_mapping"])))}
    for uid, numbers in data["proposed_mapping"].items():
        if uid in measures:
            for n in numbers:
                session.add(MeasureCapability(measure_id=measures[uid], capability_id=caps[n], mapped_by=SHIPPED))
                bump("proposed links")


def _services(session: Session, bump: Any) -> None:
    have = set(session.scalars(select(ConsultationService.key)))
    for pos, row in enumerate(read("help-services.yaml")["services"], start=1):
        if row["key"] not in have:
            session.add(ConsultationService(key=row["key"], scope="national", phone=row["phone"], position=pos,
                                            **{k: row[k] for k in ("name_en", "name_ja", "hours_en", "hours_ja",
                                                                   "what_en", "what_ja", "url")}))
            bump("consultation services")


def _bodies(session: Session, bump: Any) -> None:
    data = read("bodies.yaml")
    agencies = {a.code: a for a in session.scalars(select(Agency))}
    bodies = {b.key: b for b in session.scalars(select(Body))}
    by_name = {b.name_en: b for b in bodies.values()}
    for row in data["bodies"]:
        body = bodies.get(row["key"]) or by_name.get(row["name_en"])
        if body is None:
            body = Body(key=row["key"], name_en=row["name_en"], name_ja=row["name_ja"])
            session.add(body)
            session.flush()
            bump("bodies")
        bodies[row["key"]] = body
        if session.scalar(select(BodyProfile).where(BodyProfile.body_id == body.id)) is None:
            sec = agencies.get(row.get("secretariat", ""))
            parent = bodies.get(row.get("parent", ""))
            session.add(BodyProfile(body_id=body.id, kind=row.get("kind", ""), chair_en=row.get("chair_en", ""),
                                    chair_ja=row.get("chair_ja", ""), secretariat_id=sec.id if sec else None,
                                    parent_body_id=parent.id if parent else None,
                                    names=[{**n, "from": str(n.get("from") or ""), "to": str(n.get("to") or "")}
                                           for n in row.get("names", [])]))
            bump("body profiles")
    have = {(m.number, m.held_on) for m in session.scalars(select(Meeting))}
    for row in data.get("meetings", []):
        if (row.get("number"), _d(row["held_on"])) in have:
            continue
        m = Meeting(number=row.get("number"), held_on=_d(row["held_on"]), title_en=row["title_en"],
                    title_ja=row["title_ja"], body_keys=[bodies[k].key for k in row["bodies"]],
                    agenda=row.get("agenda", []), materials=row.get("materials", []))
        session.add(m)
        session.flush()
        for d in row.get("decisions", []):
            rnd = _round_for(session, d.get("fiscal_years"))
            session.add(Decision(meeting_id=m.id, kind=d["kind"], text_en=d.get("text_en", ""),
                                 text_ja=d.get("text_ja", ""), round_id=rnd.id if rnd else None))
        bump("meetings")


def _round_for(session: Session, years: list[int] | None) -> ReportingRound | None:
    if not years:
        return None
    for r in session.scalars(select(ReportingRound)):
        if sorted(r.fiscal_years) == sorted(years):
            return r
    return None
