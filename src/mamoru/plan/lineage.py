"""A measure's line across plans: which measures of the previous plan it continues, and theirs in
turn, so that a measure's history (rounds, decisions, amendments) can run from the 2017 plan into
the 2022 revision.

The links are the measure_lineage rows a plan import writes (the `lineage` and `predecessors`
columns, docs/plan.md): unchanged, revised, split (one predecessor, several successors), merged
(several predecessors) or new. These functions only read them; one statement per plan crossed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from mamoru.plan.models import Measure, MeasureLineage

MAX_PLANS = 20
"""How far back a line is followed (a guard against a cycle written by hand into the table)."""


@dataclass(frozen=True)
class LineageLink:
    """`measure` continues `predecessor` as `kind` (revised, merged, ...)."""

    measure: Measure
    predecessor: Measure
    kind: str


def _links(session: Session, measure_ids: set[int]) -> list[LineageLink]:
    stmt = (select(MeasureLineage).where(MeasureLineage.measure_id.in_(measure_ids),
                                         MeasureLineage.predecessor_id.is_not(None))
            .options(selectinload(MeasureLineage.measure), selectinload(MeasureLineage.predecessor))
            .order_by(MeasureLineage.id))
    return [LineageLink(x.measure, x.predecessor, x.kind) for x in session.scalars(stmt) if x.predecessor is not None]


def predecessors(session: Session, measure: Measure) -> list[Measure]:
    """The measures of the previous plan that `measure` continues (none for a new measure or one of
    the first plan), in the order the import named them."""
    return [link.predecessor for link in _links(session, {measure.id})]


def ancestry(session: Session, measure: Measure) -> list[LineageLink]:
    """Every link from `measure` back through the earlier plans, nearest plan first: the 2022
    measure's links to the 2017 measures it continues, then theirs to any plan before."""
    out: list[LineageLink] = []
    seen, frontier = {measure.id}, {measure.id}
    for _ in range(MAX_PLANS):
        links = [x for x in _links(session, frontier) if x.predecessor.id not in seen]
        if not links:
            break
        out += links
        frontier = {x.predecessor.id for x in links}
        seen |= frontier
    return out


def line(session: Session, measure: Measure) -> list[Measure]:
    """`measure` and every measure it continues in earlier plans, oldest plan first (within a plan,
    by code): the measures whose rounds, decisions and amendments make up its history."""
    depth: dict[int, tuple[int, Measure]] = {}
    for link in ancestry(session, measure):  # nearest plan first: a predecessor is one plan further back
        below = depth.get(link.measure.id, (0, link.measure))[0]
        depth.setdefault(link.predecessor.id, (below + 1, link.predecessor))
    ordered = sorted(depth.values(), key=lambda d: (-d[0], d[1].code))
    return [*(m for _, m in ordered), measure]


def successors(session: Session, measure: Measure) -> list[LineageLink]:
    """The measures of later plans that name `measure` as their predecessor."""
    stmt = (select(MeasureLineage).where(MeasureLineage.predecessor_id == measure.id)
            .options(selectinload(MeasureLineage.measure)).order_by(MeasureLineage.id))
    return [LineageLink(x.measure, measure, x.kind) for x in session.scalars(stmt)]
