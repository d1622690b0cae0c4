"""Generated plans and rounds for benchmarks and for tests that check page cost does not grow with size.

`fill(session, measures=88, rounds=10)` builds a plan of `measures` measures with one to nine
agencies each (about 300 entries a round for 88 measures), opens `rounds` rounds for consecutive
fiscal years, fills and accepts every entry and publishes all rounds but the last.
"""

from __future__ import annotations

import random
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mamoru.followup.models import EntryStatus, ReportingRound, RoundEntry
from mamoru.followup.reference import load_reference
from mamoru.followup.rounds import ensure_statuses, open_round
from mamoru.plan.models import Agency, Measure, MeasureAssignment, Pillar, Plan

AGENCIES = ["NPSC", "NPA", "CAS", "CAO", "CFA", "MIC", "MOJ", "MOFA", "MEXT", "MHLW", "METI", "JTA"]


def _agencies(session: Session) -> list[Agency]:
    have = {a.code: a for a in session.scalars(select(Agency))}
    for code in AGENCIES:
        if code not in have:
            have[code] = Agency(code=code, name_en=f"Agency {code}", name_ja=f"{code}庁")
            session.add(have[code])
    session.flush()
    return [have[c] for c in AGENCIES]


def fill(session: Session, measures: int = 88, rounds: int = 10, seed: int = 7, first_fy: int = 2014,
         key: str = "bench-plan") -> Plan:
    rng = random.Random(seed)
    agencies = _agencies(session)
    plan = Plan(key=key, title_en="Generated plan (benchmark)", title_ja="生成したプラン（ベンチマーク）",
                status="in_force", decided_on=date(2099, 1, 1), measures_total=measures)
    session.add(plan)
    session.flush()
    pillars = [Pillar(plan_id=plan.id, number=n, title_en=f"Pillar {n}", title_ja=f"柱{n}") for n in range(1, 7)]
    session.add_all(pillars)
    session.flush()
    for i in range(measures):
        p = pillars[i % 6]
        m = Measure(uid=f"{key}-{i + 1:03d}", plan_id=plan.id, pillar_id=p.id, code=f"{p.number}-{i // 6 + 1}",
                    position=i // 6 + 1, title_en=f"Generated measure {i + 1}", title_ja=f"生成した施策{i + 1}")
        k = min(9, max(1, int(rng.expovariate(1 / 3.4)) + 1))
        for pos, a in enumerate(rng.sample(agencies, k), start=1):
            m.assignments.append(MeasureAssignment(agency_id=a.id, position=pos))
        session.add(m)
    session.flush()
    load_reference(session)
    statuses = ensure_statuses(session)
    for n in range(rounds):
        # opened as the office did then (in April after the fiscal year), due that July
        r = open_round(session, None, [first_fy + n], date(first_fy + n + 1, 7, 31), plan,
                       today=date(first_fy + n + 1, 4, 1))
        _complete(session, r, statuses, rng)
        if n < rounds - 1:
            r.state = "published"
    session.flush()
    return plan


def _complete(session: Session, r: ReportingRound, statuses: list[EntryStatus], rng: random.Random) -> None:
    ids = list(session.scalars(select(RoundEntry.id).where(RoundEntry.round_id == r.id)))
    for s in statuses:
        chunk = [i for i in ids if rng.random() < 1 / len(statuses)]
        session.execute(update(RoundEntry).where(RoundEntry.id.in_(chunk)).values(
            status_id=s.id, state="accepted", version=3,
            narrative_ja="施策を実施した。研修と広報を行い、関係機関と連携した。",
            narrative_en="The measure was carried out: training, publicity and cooperation with partners."))
