"""Accounts, sessions, throttling and tokens."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mamoru import audit
from mamoru.auth import roles
from mamoru.auth.service import AuthError, LoginFailed, authenticate, create_user, find_token, issue_token, revoke_token

PW = "long-enough-password"


def test_password_is_hashed_with_argon2(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    # mamoru's own hasher and cost (the rest of the suite's processes hash cheaply: tests/conftest.py)
    from tests import conftest

    from mamoru.auth import passwords

    assert conftest.PRODUCTION_HASHER is not None
    monkeypatch.setattr(passwords, "_hasher", conftest.PRODUCTION_HASHER)
    u = create_user(session, "alice", roles.COORDINATOR, PW)
    assert u.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$") and PW not in u.password_hash
    assert authenticate(session, "alice", PW, 5).id == u.id
    with pytest.raises(LoginFailed):
        authenticate(session, "alice", PW + "x", 5)


def test_existing_username_refused(session: Session) -> None:
    create_user(session, "bob", roles.AUDITOR, PW)
    with pytest.raises(AuthError) as e:
        create_user(session, "bob", roles.AUDITOR, PW)
    assert e.value.code == 409


@pytest.mark.parametrize("role,agency,msg", [
    ("wizard", None, "unknown role"),
    (roles.AGENCY_OFFICER, None, "needs an agency"),
    (roles.COORDINATOR, "NPA", "only agency officers"),
])
def test_bad_accounts_refused(session: Session, role: str, agency: str | None, msg: str) -> None:
    with pytest.raises(AuthError, match=msg):
        create_user(session, "x1", role, PW, agency_code=agency)


def test_agency_checked_with_the_check_the_door_passes(session: Session) -> None:
    asked: list[str] = []

    def known(code: str) -> bool:
        asked.append(code)
        return code == "NPA"

    with pytest.raises(AuthError, match="unknown agency 'XYZ'"):
        create_user(session, "x2", roles.AGENCY_OFFICER, PW, agency_code="XYZ", known_agency=known)
    u = create_user(session, "x3", roles.AGENCY_OFFICER, PW, agency_code="NPA", known_agency=known)
    assert (u.agency_code, asked) == ("NPA", ["XYZ", "NPA"])
    create_user(session, "x4", roles.AUDITOR, PW, known_agency=known)  # no agency: nothing to ask
    assert asked == ["XYZ", "NPA"]


def test_short_password_refused(session: Session) -> None:
    with pytest.raises(AuthError, match="at least"):
        create_user(session, "carol", roles.AUDITOR, "short")


def test_failed_logins_slow_wrong_passwords_and_never_refuse_the_right_one(session: Session) -> None:
    create_user(session, "dave", roles.AUDITOR, PW)
    delays = []
    for _ in range(5):
        with pytest.raises(LoginFailed) as e:
            authenticate(session, "dave", "wrong-password", 3, client="k1")
        delays.append((e.value.code, e.value.delay))
    assert delays == [(401, 0), (401, 0), (401, 0), (401, 0.5), (401, 1)]
    assert authenticate(session, "dave", PW, 3, client="k2").username == "dave"  # no lockout


def test_account_creation_is_audited_with_creator(session: Session) -> None:
    admin = create_user(session, "root1", roles.ADMINISTRATOR, PW)
    create_user(session, "eve", roles.ANALYST, PW, created_by=admin)
    ev = session.scalars(select(audit.AuditEvent).where(audit.AuditEvent.target == "user:eve")).one()
    assert ev.action == "user:create" and ev.actor == "root1" and '"created_by":"root1"' in ev.detail


def test_token_shown_once_stored_hashed_and_scoped(session: Session) -> None:
    u = create_user(session, "plat", roles.PLATFORM, PW)
    secret = issue_token(session, u, "upload checker", ["match"])
    tok = find_token(session, secret)
    assert tok is not None and tok.scopes == ["match"] and secret not in tok.secret_hash
    with pytest.raises(AuthError) as e:
        issue_token(session, u, "too much", ["plan:write"])
    assert e.value.code == 403
    revoke_token(session, tok, None)
    assert find_token(session, secret) is None
