"""Configuring the labels of assessments (severity and age band): analysts read them, senior analysts
add, rename, reorder and retire them.

A label is never deleted: assessments keep the code they were given, so a label no longer offered is
retired (inactive) and its titles stay readable; assessing with a retired label is refused
(service._check_assessment reads the active ones). Every change is audited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mamoru import audit
from mamoru.auth import roles
from mamoru.auth.models import User
from mamoru.errors import InvalidInput, PermissionDenied, Problem
from mamoru.hotline import service as svc
from mamoru.hotline.models import Label

KINDS = ("severity", "age_band")
CODE = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")


@dataclass(frozen=True)
class LabelChange:
    """What to change on a label; None leaves a field as it is."""

    title_en: str | None = None
    title_ja: str | None = None
    position: int | None = None
    active: bool | None = None


def all_labels(session: Session, kind: str | None = None) -> list[Label]:
    """Labels of one kind or of every kind, retired ones included (defaults seeded on first use)."""
    kinds = [kind] if kind else list(KINDS)
    for k in kinds:
        svc.labels(session, k)
    q = select(Label).where(Label.kind.in_(kinds))
    return list(session.scalars(q.order_by(Label.kind, Label.position, Label.code)))


def _problems(kind: str, code: str, change: LabelChange, new: bool) -> list[Problem]:
    problems = []
    if kind not in KINDS:
        problems.append(Problem.of(None, "kind", "one of {kinds}", kinds=", ".join(KINDS)))
    if not CODE.fullmatch(code):
        problems.append(Problem(None, "code", "lower-case letters, digits, - and _ (at most 32)"))
    for name, title in (("title_en", change.title_en), ("title_ja", change.title_ja)):
        if title is not None and (len(title) > 200 or (not title.strip() and not new)):
            problems.append(Problem(None, name, "a title of at most 200 characters"))
    if new and not ((change.title_en or "").strip() or (change.title_ja or "").strip()):
        problems.append(Problem(None, "title", "a new label needs a title in at least one language"))
    if change.position is not None and not 0 <= change.position <= 10_000:
        problems.append(Problem(None, "position", "a number from 0 to 10000"))
    return problems


def save_label(session: Session, actor: User | None, kind: str, code: str, change: LabelChange) -> Label:
    """Create a label or change one; the command line (actor None) may too."""
    if actor is not None and actor.role != roles.SENIOR_ANALYST:
        raise PermissionDenied("labels are configured by senior analysts")
    code = code.strip()
    label = None
    if kind in KINDS:
        svc.labels(session, kind)  # seed the defaults first, so adding a label does not hide them
        label = session.scalar(select(Label).where(Label.kind == kind, Label.code == code))
    created = label is None
    problems = _problems(kind, code, change, created)
    if problems:
        raise InvalidInput(problems)
    if label is None:
        last = session.scalar(select(func.max(Label.position)).where(Label.kind == kind)) or 0
        label = Label(kind=kind, code=code, title_en="", title_ja="", position=last + 1, active=True)
        session.add(label)
    before = {"title_en": label.title_en, "title_ja": label.title_ja, "position": label.position, "active": label.active}
    if change.title_en is not None:
        label.title_en = change.title_en.strip()
    if change.title_ja is not None:
        label.title_ja = change.title_ja.strip()
    label.title_en, label.title_ja = label.title_en or label.title_ja, label.title_ja or label.title_en
    if change.position is not None:
        label.position = change.position
    if change.active is not None:
        label.active = change.active
    session.flush()
    after = {"title_en": label.title_en, "title_ja": label.title_ja, "position": label.position, "active": label.active}
    changed = {k: v for k, v in after.items() if created or before[k] != v}
    audit.record(session, actor, "hotline:label:save", f"hotline:label:{kind}:{code}",
                 {"created": created, "changed": changed})
    return label


def label_out(label: Label) -> dict[str, object]:
    return {"kind": label.kind, "code": label.code, "title_en": label.title_en, "title_ja": label.title_ja,
            "position": label.position, "active": label.active}
