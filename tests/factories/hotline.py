"""Hotline reports and the cases they open, built through mamoru.hotline.intake (the intake every
door uses)."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from mamoru.auth import roles
from mamoru.auth.models import User
from mamoru.hotline import intake
from mamoru.hotline import workflow as wf
from mamoru.hotline.models import Report

STAFF_SCOPES = sorted(roles.ROLE_SCOPES[roles.ANALYST])
"""Every scope an analyst's (and a senior analyst's) token may hold: flagger, hotline:read, :write,
:contact, :figures, and the rest; what a token doing the whole case work needs."""
assert STAFF_SCOPES == sorted(roles.ROLE_SCOPES[roles.SENIOR_ANALYST])


def report(session: Session, url: str | None = None, *, source: str = "public", levels: wf.ServiceLevels | None = None,
           flagger: User | None = None, partner: str = "", now: datetime | None = None, **fields: Any) -> Report:
    """A report of `url` (a unique benign example.test address unless given) from `source`, which
    opens a case or joins the open one for the same address; committed. `fields`: the rest of
    intake.ReportInput (content_type, immediate_danger, ...)."""
    made = intake.submit(session, intake.ReportInput(url=url or f"http://report-{secrets.token_hex(4)}.example.test/page",
                                                     **fields),
                         source, levels or wf.ServiceLevels(), flagger=flagger, partner=partner, now=now)
    session.commit()
    return made
