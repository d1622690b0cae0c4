"""API tokens in the service: create with an expiry, list, revoke (audited), refuse revoked and
expired tokens, and record their use at most once a minute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mamoru import audit
from mamoru.auth import roles
from mamoru.auth import service as svc
from mamoru.auth.models import ApiToken
from mamoru.errors import NotFound, PermissionDenied
from mamoru.i18n import fmt_time_jst

PW = "long-enough-password"


def actions(session: Session) -> list[str]:
    return [e.action for e in session.scalars(select(audit.AuditEvent).where(audit.AuditEvent.action.like("token:%"))
                                              .order_by(audit.AuditEvent.seq))]


def test_create_with_an_expiry_is_audited_with_the_token_id(session: Session) -> None:
    u = svc.create_user(session, "plat1", roles.PLATFORM, PW)
    new = svc.create_token(session, u, " checker ", ["match"], expires_in_days=7)
    assert new.token.name == "checker" and new.secret.startswith(svc.TOKEN_PREFIX)
    assert new.token.expires_at is not None
    assert abs(new.token.expires_at - new.token.created_at - timedelta(days=7)) < timedelta(seconds=5)
    ev = session.scalars(select(audit.AuditEvent).where(audit.AuditEvent.action == "token:create")).one()
    assert ev.actor == "plat1" and f'"id":{new.token.id}' in ev.detail and new.secret not in ev.detail
    assert svc.token_state(new.token) == "active"


@pytest.mark.parametrize("days", [0, -1, svc.TOKEN_MAX_DAYS + 1, True])
def test_an_expiry_outside_1_to_max_days_is_refused(session: Session, days: int) -> None:
    u = svc.create_user(session, "plat2", roles.PLATFORM, PW)
    with pytest.raises(svc.AuthError) as e:
        svc.create_token(session, u, "x", ["match"], expires_in_days=days)
    assert e.value.code == 400
    assert session.scalars(select(ApiToken)).all() == []


def test_no_scope_or_no_name_is_refused(session: Session) -> None:
    u = svc.create_user(session, "plat3", roles.PLATFORM, PW)
    for name, scopes in (("x", []), ("x", [" "]), ("  ", ["match"])):
        with pytest.raises(svc.AuthError):
            svc.create_token(session, u, name, scopes)


def test_list_and_revoke_are_the_owners_or_an_administrators(session: Session) -> None:
    owner = svc.create_user(session, "ana1", roles.ANALYST, PW)
    other = svc.create_user(session, "ana2", roles.ANALYST, PW)
    admin = svc.create_user(session, "root1", roles.ADMINISTRATOR, PW)
    first = svc.create_token(session, owner, "a", ["flagger"]).token
    second = svc.create_token(session, owner, "b", ["plan:read"]).token
    assert [t.id for t in svc.list_tokens(session, owner, owner)] == [first.id, second.id]
    assert [t.id for t in svc.list_tokens(session, owner, admin)] == [first.id, second.id]
    with pytest.raises(PermissionDenied):
        svc.list_tokens(session, owner, other)
    with pytest.raises(PermissionDenied):
        svc.create_token(session, owner, "c", ["flagger"], actor=other)
    with pytest.raises(NotFound):  # another's token is not found, not refused: an id reveals nothing
        svc.revoke_token_by_id(session, first.id, other)
    with pytest.raises(NotFound):
        svc.revoke_token_by_id(session, first.id, other, owner=other)
    with pytest.raises(NotFound):
        svc.revoke_token_by_id(session, 10**8, None)
    assert svc.revoke_token_by_id(session, first.id, owner, owner=owner).revoked_at is not None
    when = first.revoked_at
    svc.revoke_token_by_id(session, first.id, admin)  # again: nothing changes, nothing more audited
    assert first.revoked_at == when
    svc.revoke_token_by_id(session, second.id, admin, owner=owner)
    assert [svc.token_state(t) for t in svc.list_tokens(session, owner)] == ["revoked", "revoked"]
    assert actions(session) == ["token:create", "token:create", "token:revoke", "token:revoke"]
    revokers = [e.actor for e in session.scalars(select(audit.AuditEvent).where(
        audit.AuditEvent.action == "token:revoke").order_by(audit.AuditEvent.seq))]
    assert revokers == ["ana1", "root1"]


def test_revoked_and_expired_tokens_are_not_found(session: Session) -> None:
    u = svc.create_user(session, "plat4", roles.PLATFORM, PW)
    live = svc.create_token(session, u, "live", ["match"], expires_in_days=1)
    expired = svc.create_token(session, u, "old", ["match"], expires_in_days=1)
    expired.token.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    revoked = svc.create_token(session, u, "gone", ["match"])
    svc.revoke_token(session, revoked.token, u)
    session.flush()
    assert svc.find_token(session, live.secret) is live.token
    assert svc.find_token(session, expired.secret) is None and svc.token_state(expired.token) == "expired"
    assert svc.find_token(session, revoked.secret) is None


def test_use_is_recorded_at_most_once_a_minute(session: Session) -> None:
    u = svc.create_user(session, "plat5", roles.PLATFORM, PW)
    new = svc.create_token(session, u, "busy", ["match"])
    assert new.token.last_used_at is None
    assert svc.find_token(session, new.secret, touch=False) is not None and new.token.last_used_at is None
    svc.find_token(session, new.secret)
    first = new.token.last_used_at
    assert first is not None and datetime.now(UTC) - first < timedelta(seconds=5)

    def stored() -> datetime | None:
        session.expire(new.token)
        return session.get(ApiToken, new.token.id).last_used_at  # type: ignore[union-attr]

    assert stored() == first
    recent = datetime.now(UTC) - timedelta(seconds=50)
    new.token.last_used_at = recent
    session.flush()
    svc.find_token(session, new.secret)
    assert stored() == recent  # used 50 s ago: not written again
    a_while = datetime.now(UTC) - timedelta(seconds=61)
    new.token.last_used_at = a_while
    session.flush()
    svc.find_token(session, new.secret)
    later = stored()
    assert later is not None and later > a_while + timedelta(seconds=55)  # over a minute ago: written


def test_times_on_the_page_are_japan_time_with_the_zone_marked() -> None:
    assert fmt_time_jst(datetime(2026, 12, 2, 6, 4, 59, tzinfo=UTC)) == "2026-12-02 15:04 JST"
    assert fmt_time_jst(datetime(2027, 3, 31, 15, 0, tzinfo=UTC)) == "2027-04-01 00:00 JST"
    assert fmt_time_jst(None) == ""
    with pytest.raises(ValueError):
        fmt_time_jst(datetime(2026, 12, 2, 6, 4))
