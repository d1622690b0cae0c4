"""The blocking list's rule for entries from hotline cases, given plain facts of a case (no hotline
table involved): only cases assessed as illegal and not verified as removed, with the review period."""

from __future__ import annotations

import secrets
from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session

from mamoru.auth import roles
from mamoru.blocklist import from_cases, service
from mamoru.blocklist.from_cases import CaseFacts
from mamoru.errors import Conflict


def _facts(url: str, **kw: object) -> CaseFacts:
    values: dict[str, object] = {"number": "C0000042", "url": url, "illegal": True, "removed": False,
                                 "category": "csam", "verdict": "csam"}
    return CaseFacts(**(values | kw))  # type: ignore[arg-type]


def test_refuses_cases_not_illegal_or_removed_and_applies_the_review_period(session: Session, make_user) -> None:  # type: ignore[no-untyped-def]
    a, tag = make_user(roles.ANALYST), secrets.token_hex(4)
    with pytest.raises(Conflict, match="not assessed as illegal"):
        from_cases.propose_from_case(session, a, _facts(f"http://a-{tag}.example/", illegal=False, verdict=""))
    with pytest.raises(Conflict, match="verified the content as removed"):
        from_cases.propose_from_case(session, a, _facts(f"http://b-{tag}.example/", removed=True))
    e = from_cases.propose_from_case(session, a, _facts(f"http://c-{tag}.example/p", category="solicitation"),
                                     review_days=30)
    assert (e.kind, e.case_ref, e.category, e.reason) == ("url", "C0000042", "solicitation", "hotline case C0000042: csam")
    assert e.review_on == date.today() + timedelta(days=30)
    d = from_cases.propose_from_case(session, a, _facts(f"http://d-{tag}.example/x"), kind="domain",
                                     criteria=list(service.CRITERIA))
    assert (d.value, d.review_on) == (f"d-{tag}.example", date.today() + timedelta(days=service.DEFAULT_REVIEW_DAYS))
