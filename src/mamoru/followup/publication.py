"""What the public portal shows, and the help services behind it (awareness material: materials.py).

Only published rounds and their accepted entries reach the portal; drafts, returned or submitted
entries and unpublished rounds never do. Queries here are fixed in number whatever the number of
rounds or measures, so the portal's cost does not grow with the plan's history.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from mamoru import audit
from mamoru.auth import roles
from mamoru.auth.models import User
from mamoru.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Problem
from mamoru.followup.models import ConsultationService, ReportingRound, RoundEntry
from mamoru.plan.models import Prefecture

_URL = re.compile(r"^https?://[^\s]+$")


@dataclass
class PublishedRound:
    round: ReportingRound
    accepted: int
    total: int


def published_rounds(session: Session) -> list[PublishedRound]:
    """Published rounds, newest first, with accepted and total entry counts (two statements)."""
    rows = list(session.scalars(select(ReportingRound).where(ReportingRound.state == "published")
                                .order_by(ReportingRound.id.desc())))
    counts = {rid: (acc or 0, n) for rid, acc, n in session.execute(
        select(RoundEntry.round_id, func.sum(case((RoundEntry.state == "accepted", 1), else_=0)),
               func.count()).join(ReportingRound).where(ReportingRound.state == "published")
        .group_by(RoundEntry.round_id))}
    return [PublishedRound(r, *counts.get(r.id, (0, 0))) for r in rows]


def services(session: Session, include_inactive: bool = False) -> list[ConsultationService]:
    """Active services: national ones first (in their order), then prefectural ones by prefecture.

    Until `mamoru indicator load` has stored the shipped national services, they are read from the
    shipped data, so the help page is never empty on a fresh installation.
    """
    stmt = select(ConsultationService)
    if not include_inactive:
        stmt = stmt.where(ConsultationService.active.is_(True))
    rows = list(session.scalars(stmt.order_by(ConsultationService.scope != "national", ConsultationService.prefecture_id,
                                          ConsultationService.position, ConsultationService.id)))
    if not any(s.scope == "national" for s in rows):
        from mamoru.followup.reference import read

        shipped = [ConsultationService(key=r["key"], scope="national", phone=r["phone"], position=i, **{
            k: r[k] for k in ("name_en", "name_ja", "hours_en", "hours_ja", "what_en", "what_ja", "url")})
            for i, r in enumerate(read("help-services.yaml")["services"], start=1)]
        rows = shipped + rows
    return rows


def prefectures(session: Session) -> list[Prefecture]:
    return list(session.scalars(select(Prefecture).order_by(Prefecture.code)))


def add_service(session: Session, actor: User | None, prefecture_code: str, name_en: str, name_ja: str, phone: str,
                hours_en: str, hours_ja: str, what_en: str, what_ja: str, url: str) -> ConsultationService:
    """A prefectural consultation service (the plan office keeps these)."""
    if actor is not None and actor.role != roles.COORDINATOR:
        raise PermissionDenied("prefectural consultation services are kept by the plan office")
    pref = session.scalar(select(Prefecture).where(Prefecture.code == prefecture_code.zfill(2)))
    problems = []
    if pref is None:
        problems.append(Problem(None, "prefecture", "a JIS code from 01 to 47"))
    if not name_ja.strip() or not phone.strip():
        problems.append(Problem(None, "name_ja", "a Japanese name and a phone number are needed"))
    if url and not _URL.match(url):
        problems.append(Problem(None, "url", "an http(s) address"))
    if problems:
        raise InvalidInput(problems)
    assert pref is not None
    n = session.scalar(select(func.count()).select_from(ConsultationService)) or 0
    svc = ConsultationService(key=f"pref-{pref.code}-{n + 1}", scope="prefectural", prefecture_id=pref.id,
                              name_en=name_en.strip() or name_ja.strip(), name_ja=name_ja.strip(), phone=phone.strip(),
                              hours_en=hours_en, hours_ja=hours_ja, what_en=what_en, what_ja=what_ja, url=url.strip())
    session.add(svc)
    session.flush()
    audit.record(session, actor, "followup:service:add", f"service:{svc.key}", {"prefecture": pref.code})
    return svc


SERVICE_FIELDS = ("name_en", "name_ja", "phone", "hours_en", "hours_ja", "what_en", "what_ja", "url", "active")


def get_service(session: Session, key: str) -> ConsultationService:
    svc = session.scalar(select(ConsultationService).where(ConsultationService.key == key))
    if svc is None:
        raise NotFound(f"no consultation service {key!r}")
    return svc


def update_service(session: Session, actor: User | None, key: str, fields: dict[str, object]) -> ConsultationService:
    """Change a prefectural service or withdraw it (active false); national ones come with the shipped data."""
    if actor is not None and actor.role != roles.COORDINATOR:
        raise PermissionDenied("prefectural consultation services are kept by the plan office")
    svc = get_service(session, key)
    if svc.scope == "national":
        raise Conflict("national services are shipped with mamoru's data; change help-services.yaml")
    problems = [Problem(None, k, "not a field of a service") for k in fields if k not in SERVICE_FIELDS]
    url = str(fields.get("url", svc.url) or "")
    if url and not _URL.match(url):
        problems.append(Problem(None, "url", "an http(s) address"))
    if not str(fields.get("name_ja", svc.name_ja)).strip() or not str(fields.get("phone", svc.phone)).strip():
        problems.append(Problem(None, "name_ja", "a Japanese name and a phone number are needed"))
    if problems:
        raise InvalidInput(problems)
    for k, v in fields.items():
        setattr(svc, k, v.strip() if isinstance(v, str) else v)
    session.flush()
    audit.record(session, actor, "followup:service:update", f"service:{svc.key}", {"fields": sorted(fields)})
    return svc
