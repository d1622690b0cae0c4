"""Loads the shipped plan data file into the database; safe to run any number of times.

Rows are matched on their keys (agency code, plan key, measure id, prefecture code, ...). A row that
exists is left as it is, so amendments made since the first load are never overwritten; only
missing rows are added. The result says what was added.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from mamoru import audit
from mamoru.auth.models import User
from mamoru.plan.models import (
    Agency,
    AgencySuccession,
    Body,
    DefinitionTerm,
    Measure,
    MeasureAssignment,
    MeasureOrigin,
    Pillar,
    Plan,
    Prefecture,
    TimelineEvent,
)

DATA_FORMAT = "mamoru-plan/1"


def shipped_data_path() -> Path:
    return Path(str(resources.files("mamoru") / "data" / "plan" / "basic-plan.yaml"))


def read_data(path: Path | None = None) -> dict[str, Any]:
    data = yaml.safe_load((path or shipped_data_path()).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("format") != DATA_FORMAT:
        raise ValueError(f"not a {DATA_FORMAT} data file")
    return data


@dataclass
class LoadResult:
    data_version: str
    added: dict[str, int] = field(default_factory=dict)

    def bump(self, kind: str) -> None:
        self.added[kind] = self.added.get(kind, 0) + 1

    @property
    def total_added(self) -> int:
        return sum(self.added.values())


def _d(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


class _Loader:
    def __init__(self, session: Session, data: dict[str, Any]):
        self.s = session
        self.data = data
        self.result = LoadResult(data_version=str(data.get("data_version", "")))
        self.agencies: dict[str, Agency] = {a.code: a for a in session.scalars(select(Agency))}
        self.bodies: dict[str, Body] = {b.key: b for b in session.scalars(select(Body))}
        self.successions: dict[str, AgencySuccession] = {x.key: x for x in session.scalars(select(AgencySuccession))}

    def agency(self, code: str | None) -> Agency | None:
        if code is None:
            return None
        if code not in self.agencies:
            raise ValueError(f"unknown agency code {code!r} in the data file")
        return self.agencies[code]

    def body(self, key: str | None) -> Body | None:
        if key is None:
            return None
        if key not in self.bodies:
            raise ValueError(f"unknown body {key!r} in the data file")
        return self.bodies[key]

    def run(self) -> LoadResult:
        self.load_agencies()
        self.load_successions()
        self.load_bodies()
        self.load_plans()
        self.load_definitions()
        self.load_prefectures()
        self.load_timeline()
        return self.result

    def load_agencies(self) -> None:
        rows = self.data.get("agencies", [])
        for row in rows:
            if row["code"] in self.agencies:
                continue
            a = Agency(code=row["code"], name_en=row["name_en"], name_ja=row["name_ja"],
                       valid_from=_d(row.get("valid_from")), valid_to=_d(row.get("valid_to")),
                       note_en=row.get("note_en") or "", note_ja=row.get("note_ja") or "")
            self.s.add(a)
            self.agencies[a.code] = a
            self.result.bump("agencies")
        self.s.flush()
        for row in rows:
            a = self.agencies[row["code"]]
            if row.get("parent") and a.parent_id is None:
                a.parent_id = self.agency(row["parent"]).id  # type: ignore[union-attr]

    def load_successions(self) -> None:
        for row in self.data.get("successions", []):
            if row["key"] in self.successions:
                continue
            x = AgencySuccession(
                key=row["key"], predecessor=self.agency(row["predecessor"]), successor=self.agency(row["successor"]),
                effective_on=_d(row["effective_on"]), partial=bool(row.get("partial", False)),
                description_en=row.get("description_en") or "", description_ja=row.get("description_ja") or "")
            self.s.add(x)
            self.successions[x.key] = x
            self.result.bump("successions")

    def load_bodies(self) -> None:
        for row in self.data.get("bodies", []):
            if row["key"] in self.bodies:
                continue
            b = Body(key=row["key"], name_en=row["name_en"], name_ja=row["name_ja"])
            self.s.add(b)
            self.bodies[b.key] = b
            self.result.bump("bodies")
        self.s.flush()

    def load_plans(self) -> None:
        plans = {p.key: p for p in self.s.scalars(select(Plan))}
        for row in self.data.get("plans", []):
            plan = plans.get(row["key"])
            if plan is None:
                plan = Plan(
                    key=row["key"], title_en=row["title_en"], title_ja=row["title_ja"],
                    decided_on=_d(row.get("decided_on")), decided_by=self.body(row.get("decided_by")),
                    period_start=_d(row.get("period_start")), period_end=_d(row.get("period_end")),
                    period_note_en=row.get("period_note_en") or "", period_note_ja=row.get("period_note_ja") or "",
                    coordinator=self.agency(row.get("coordinator")), status=row.get("status", "draft"),
                    measures_total=row.get("measures_total"), situation=row.get("situation") or [],
                    data_version=self.result.data_version)
                self.s.add(plan)
                plans[plan.key] = plan
                self.result.bump("plans")
            self.s.flush()
            self.load_origins(plan, row.get("origins") or [])
            self.load_pillars(plan, row.get("pillars") or [])
        for row in self.data.get("plans", []):
            sup = row.get("supersedes")
            if sup and plans[row["key"]].supersedes_id is None:
                plans[row["key"]].supersedes_id = plans[sup].id

    def load_origins(self, plan: Plan, rows: list[dict[str, Any]]) -> None:
        have = {o.key for o in plan.origins}
        for row in rows:
            if row["key"] in have:
                continue
            self.s.add(MeasureOrigin(plan_id=plan.id, key=row["key"], title_en=row["title_en"],
                                     title_ja=row["title_ja"], decided_on=_d(row.get("decided_on"))))
            self.result.bump("origins")

    def load_pillars(self, plan: Plan, rows: list[dict[str, Any]]) -> None:
        pillars = {p.number: p for p in plan.pillars}
        existing = set(self.s.scalars(select(Measure.uid)))
        for row in rows:
            p = pillars.get(int(row["number"]))
            if p is None:
                p = Pillar(plan_id=plan.id, number=int(row["number"]), title_en=row["title_en"],
                           title_ja=row["title_ja"], ja_provisional=bool(row.get("ja_provisional", False)),
                           background=row.get("background") or [])
                self.s.add(p)
                self.s.flush()
                self.result.bump("pillars")
            for pos, m in enumerate(row.get("measures") or [], start=1):
                if m["id"] in existing:
                    continue
                self.add_measure(plan, p, pos, m)

    def add_measure(self, plan: Plan, pillar: Pillar, pos: int, m: dict[str, Any]) -> None:
        measure = Measure(
            uid=m["id"], plan_id=plan.id, pillar_id=pillar.id, code=str(m["code"]), position=pos,
            title_en=m["title_en"], title_ja=m.get("title_ja") or "", ja_provisional=bool(m.get("ja_provisional", False)),
            description_en=m.get("description_en") or "", description_ja=m.get("description_ja") or "",
            origin=m.get("origin", "unknown"), main=bool(m.get("main", False)),
            code_provisional=bool(m.get("code_provisional", True)))
        successions = m.get("successions") or {}
        for i, code in enumerate(m.get("agencies") or [], start=1):
            succ = successions.get(code)
            if succ is not None and succ not in self.successions:
                raise ValueError(f"measure {m['id']}: unknown succession {succ!r}")
            measure.assignments.append(MeasureAssignment(
                agency=self.agency(code), position=i, role=(m.get("roles") or {}).get(code),
                succession=self.successions.get(succ) if succ else None))
        self.s.add(measure)
        self.result.bump("measures")

    def load_definitions(self) -> None:
        terms = {t.code: t for t in self.s.scalars(select(DefinitionTerm))}
        for pos, row in enumerate(self.data.get("definitions", []), start=1):
            if row["code"] in terms:
                continue
            parent = terms.get(row["parent"]) if row.get("parent") else None
            t = DefinitionTerm(code=row["code"], parent_id=parent.id if parent else None, position=pos,
                               title_en=row["title_en"], title_ja=row["title_ja"],
                               description_en=row.get("description_en") or "", description_ja=row.get("description_ja") or "")
            self.s.add(t)
            self.s.flush()
            terms[t.code] = t
            self.result.bump("definitions")

    def load_prefectures(self) -> None:
        have = set(self.s.scalars(select(Prefecture.code)))
        for row in self.data.get("prefectures", []):
            code = str(row["code"]).zfill(2)
            if code in have:
                continue
            self.s.add(Prefecture(code=code, name_en=row["name_en"], name_ja=row["name_ja"],
                                  region_en=row.get("region_en") or "", region_ja=row.get("region_ja") or ""))
            self.result.bump("prefectures")

    def load_timeline(self) -> None:
        have = set(self.s.scalars(select(TimelineEvent.key)))
        for row in self.data.get("timeline", []):
            key = row.get("key") or f"{row['date']}:{row['kind']}:{row['title_en'][:60]}"
            if key in have:
                continue
            self.s.add(TimelineEvent(
                key=key, on=_d(row["date"]), precision=row.get("precision", "day"), kind=row["kind"],
                body=self.body(row.get("body")), title_en=row["title_en"], title_ja=row["title_ja"],
                description_en=row.get("description_en") or "", description_ja=row.get("description_ja") or ""))
            have.add(key)
            self.result.bump("timeline")


def load_plan(session: Session, actor: User | None, path: Path | None = None) -> LoadResult:
    """Load the shipped (or given) plan data file; returns what was added."""
    data = read_data(path)
    result = _Loader(session, data).run()
    session.flush()
    if result.total_added:
        audit.record(session, actor, "plan:load", f"data:{result.data_version}", {"added": result.added})
    return result
