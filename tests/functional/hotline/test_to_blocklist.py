"""The hotline's adapter to the blocking list (mamoru.hotline.to_blocklist): entries proposed from
hotline cases, and entries whose content the hotline verified as removed leaving the list (URL
entries) or becoming due for review (host and domain entries)."""

from __future__ import annotations

import secrets
from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session

from mamoru.auth import roles
from mamoru.blocklist import service
from mamoru.db import utcnow
from mamoru.errors import Conflict, NotFound
from mamoru.hotline import to_blocklist
from mamoru.hotline.models import HotlineCase


def _case(session: Session, url: str, verdict: str | None = "csam", status: str = "removal_pending") -> HotlineCase:
    from mamoru import urls

    case = HotlineCase(canonical_url=urls.canonicalize_full(url), url=url, status=status, verdict=verdict,
                       due_at=utcnow())
    session.add(case)
    session.flush()
    return case


def test_propose_from_a_case_by_number_id_or_url(session: Session, make_user) -> None:
    a, tag = make_user(roles.ANALYST), secrets.token_hex(4)
    c1 = _case(session, f"http://Img-{tag}.example/a/1.jpg")
    e = to_blocklist.propose(session, a, c1.number)
    assert (e.kind, e.value, e.case_ref, e.category, e.status) == ("url", f"http://img-{tag}.example/a/1.jpg",
                                                                   c1.number, "csam", "proposed")
    c2 = _case(session, f"http://img-{tag}.example/a/2.jpg", verdict="solicitation")
    e2 = to_blocklist.propose(session, a, f"HTTP://img-{tag}.example/a/2.jpg#x")
    assert (e2.case_ref, e2.category) == (c2.number, "solicitation")
    c3 = _case(session, f"http://site-{tag}.example/")
    e3 = to_blocklist.propose(session, a, str(c3.id), kind="domain", criteria=list(service.CRITERIA))
    assert (e3.kind, e3.value) == ("domain", f"site-{tag}.example")
    with pytest.raises(Conflict, match="not assessed as illegal"):
        to_blocklist.propose(session, a, _case(session, f"http://ok-{tag}.example/", verdict="not_illegal").number)
    with pytest.raises(NotFound):
        to_blocklist.propose(session, a, "C9999999")


def test_verified_removals_leave_the_list(session: Session, make_user) -> None:
    a, b, tag = make_user(roles.ANALYST), make_user(roles.SENIOR_ANALYST), secrets.token_hex(4)
    gone, still = _case(session, f"http://gone-{tag}.example/p"), _case(session, f"http://still-{tag}.example/p")
    site = _case(session, f"http://site-{tag}.example/x")
    e_gone = to_blocklist.propose(session, a, gone.number)
    e_still = to_blocklist.propose(session, a, still.number)
    e_site = to_blocklist.propose(session, a, site.number, kind="domain", criteria=list(service.CRITERIA))
    manual = service.propose(session, a, "url", f"http://site-{tag}.example/x", "found by the analyst")  # no case_ref
    for e in (e_gone, e_still, e_site, manual):
        service.confirm(session, b, e.id)
    v = service.current_version(session)

    once = _case(session, f"http://once-{tag}.example/p")  # "removed" on one check's answer, never confirmed
    e_once = to_blocklist.propose(session, a, once.number)
    service.confirm(session, b, e_once.id)
    v = service.current_version(session)
    once.status = "removed"
    gone.status = site.status = "removed"
    gone.removal_confirmed_at = site.removal_confirmed_at = utcnow()  # two checks 12 hours apart agreed
    session.flush()
    r = to_blocklist.sync_removed(session)
    assert sorted(e.id for e in r.removed) == sorted([e_gone.id, manual.id])
    assert [e.id for e in r.to_review] == [e_site.id]
    assert (e_gone.status, e_still.status, e_site.status, e_once.status) == ("removed", "active", "active", "active")
    assert e_site.review_on == date.today() and service.current_version(session) == v + 2
    assert e_site.id in [e.id for e in service.review_due(session, date.today())]

    again = to_blocklist.sync_removed(session)  # nothing changed since: nothing happens
    assert (again.removed, again.to_review, service.current_version(session)) == ([], [], v + 2)
    with pytest.raises(Conflict, match="verified the content as removed"):
        to_blocklist.propose(session, a, gone.number)
    assert e_site.review_on < date.today() + timedelta(days=1)


def test_propose_case_and_sync_removed_commands(cli) -> None:  # type: ignore[no-untyped-def]
    from mamoru.db import Database

    for name, role in (("ana", "analyst"), ("sena", "senior_analyst")):
        assert cli("user", "add", name, "--role", role).exit_code == 0
    db = Database.from_url(cli.env["MAMORU_DATABASE_URL"])
    with db.session() as s:
        number = _case(s, "http://cli-case.example/p/1").number
    r = cli("blocklist", "propose-case", number, "--as", "ana")
    assert r.exit_code == 0, r.output
    entry_id = r.stdout.split()[-1]
    assert cli("blocklist", "confirm", entry_id, "--as", "sena").exit_code == 0
    assert cli("blocklist", "check", "http://cli-case.example/p/1").stdout.split() == ["blocked", entry_id]
    quiet = cli("blocklist", "sync-removed")
    assert quiet.exit_code == 0 and quiet.stdout == ""
    with db.session() as s:
        case = s.get(HotlineCase, int(number[1:]))
        assert case is not None
        case.status = "removed"
    assert cli("blocklist", "sync-removed").stdout == "", "a removal not confirmed takes nothing off"
    with db.session() as s:
        case = s.get(HotlineCase, int(number[1:]))
        assert case is not None
        case.removal_confirmed_at = utcnow()
    r = cli("blocklist", "sync-removed")
    assert r.exit_code == 0 and r.stdout.startswith(f"removed {entry_id} http://cli-case.example/p/1")
    assert cli("blocklist", "check", "http://cli-case.example/p/1").stdout.strip() == "clear"
    db.engine.dispose()
