"""The list's rules on a real database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mamoru.audit import AuditEvent
from mamoru.auth import roles
from mamoru.blocklist import publishing, service, signing
from mamoru.blocklist.checker import Checker
from mamoru.blocklist.models import BlocklistArtifact
from mamoru.errors import Conflict, InvalidInput, PermissionDenied

ALL4 = list(service.CRITERIA)


@pytest.fixture
def tag() -> str:
    """A unique label: on SQLite, rows of earlier tests may still be there (SAVEPOINT without BEGIN)."""
    import secrets

    return secrets.token_hex(4)


def _actions(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


@pytest.mark.parametrize("role", sorted(service.EDITOR_ROLES))
def test_nobody_confirms_their_own_entry_whatever_their_role(session: Session, make_user, role: str, tag: str) -> None:
    u = make_user(role)
    v0 = service.current_version(session)
    e = service.propose(session, u, "url", f"http://bad-{tag}.example/x", "case")
    with pytest.raises(PermissionDenied, match="you proposed"):
        service.confirm(session, u, e.id)
    assert e.status == "proposed" and service.current_version(session) == v0
    assert "blocklist:entry:confirm-refused" in _actions(session)


@pytest.mark.parametrize("role", sorted(service.EDITOR_ROLES))
def test_an_account_the_proposer_created_cannot_confirm(session: Session, make_user, role: str, tag: str) -> None:
    admin = make_user(roles.ADMINISTRATOR)
    second = make_user(role, created_by=admin)
    e = service.propose(session, admin, "host", f"cdn.bad-{tag}.example", "case")
    with pytest.raises(PermissionDenied, match="created by the proposer"):
        service.confirm(session, second, e.id)
    # nor the other way round: the sock puppet proposes, its creator confirms
    e2 = service.propose(session, second, "host", f"cdn2.bad-{tag}.example", "case")
    with pytest.raises(PermissionDenied, match="created by you"):
        service.confirm(session, admin, e2.id)


@pytest.mark.parametrize("role", sorted(service.EDITOR_ROLES))
def test_no_account_down_the_proposers_chain_of_creation_confirms(session: Session, make_user, role: str,
                                                                  tag: str) -> None:
    """admin creates admin2, admin2 creates the confirmer: still the admin's own making."""
    admin = make_user(roles.ADMINISTRATOR)
    admin2 = make_user(roles.ADMINISTRATOR, created_by=admin)
    third = make_user(role, created_by=admin2)
    v0 = service.current_version(session)
    e = service.propose(session, admin, "host", f"cdn.chain-{tag}.example", "case")
    with pytest.raises(PermissionDenied, match="created by the proposer") as refused:
        service.confirm(session, third, e.id)
    assert admin2.username in str(refused.value)  # the refusal names the account in between
    assert e.status == "proposed" and service.current_version(session) == v0
    # and upwards: the third account proposes, the administrator two levels above confirms
    e2 = service.propose(session, third, "host", f"cdn2.chain-{tag}.example", "case")
    with pytest.raises(PermissionDenied, match="created by you"):
        service.confirm(session, admin, e2.id)
    # an account outside the chain (a sibling made by the same admin2 is inside it; this one is not)
    outsider = make_user(roles.SENIOR_ANALYST)
    assert service.confirm(session, outsider, e.id).status == "active"


def test_a_cycle_of_creators_ends_the_walk(session: Session, make_user, tag: str) -> None:
    """created_by is never made circular by mamoru; if someone does it by hand, confirm still answers."""
    a, b = make_user(roles.ANALYST), make_user(roles.ANALYST)
    c = make_user(roles.ANALYST, created_by=b)
    b.created_by = c  # b <- c <- b
    session.flush()
    assert [u.id for u in service.creators(c)] == [b.id]
    e = service.propose(session, a, "host", f"cycle-{tag}.example", "case")
    assert service.four_eyes_refusal(a, c) is None
    e2 = service.propose(session, c, "host", f"cycle2-{tag}.example", "case")
    with pytest.raises(PermissionDenied, match="created by"):  # each made the other
        service.confirm(session, b, e2.id)
    assert service.confirm(session, c, e.id).status == "active"


def test_roles_outside_the_hotline_cannot_propose_or_confirm(session: Session, make_user, tag: str) -> None:
    analyst = make_user(roles.ANALYST)
    e = service.propose(session, analyst, "url", f"http://bad-{tag}.example/x", "case")
    # (agency officers need a loaded plan's agency to exist; their role is outside the hotline like these)
    for role in sorted(set(roles.ALL_ROLES) - service.EDITOR_ROLES - {roles.AGENCY_OFFICER}):
        outsider = make_user(role)
        with pytest.raises(PermissionDenied):
            service.confirm(session, outsider, e.id)
        with pytest.raises(PermissionDenied):
            service.propose(session, outsider, "url", "http://other.example/", "x")


def test_confirmation_by_a_second_person_activates_and_versions(session: Session, make_user, tag: str) -> None:
    a, b = make_user(roles.ANALYST), make_user(roles.SENIOR_ANALYST)
    v0 = service.current_version(session)
    e = service.propose(session, a, "url", f"HTTP://Bad-{tag}.Example:8080/a/../x#frag", "case 12")
    assert e.value == f"http://bad-{tag}.example/x"
    service.confirm(session, b, e.id)
    assert (e.status, e.added_version, service.current_version(session)) == ("active", v0 + 1, v0 + 1)
    assert Checker(service.active_entries(session)).check(f"https://www.bad-{tag}.example/x") == e.id
    with pytest.raises(Conflict):
        service.propose(session, a, "url", f"http://bad-{tag}.example/x", "again")


def test_domain_needs_all_four_criteria(session: Session, make_user, tag: str) -> None:
    a = make_user(roles.ANALYST)
    with pytest.raises(InvalidInput, match="no-alternative"):
        service.propose(session, a, "domain", f"evil-{tag}.example", "x", criteria=["purpose", "confirmed", "same-operator"])
    with pytest.raises(InvalidInput, match="DNS name"):
        service.propose(session, a, "host", "192.0.2.1", "x")
    e = service.propose(session, a, "domain", f"Evil-{tag}.Example.", "x", criteria=ALL4)
    assert e.value == f"evil-{tag}.example"


def _active(session: Session, make_user, n: int) -> list[int]:
    import secrets

    a, b = make_user(roles.ANALYST), make_user(roles.ANALYST)
    ids, tag = [], secrets.token_hex(4)
    for i in range(n):
        e = service.propose(session, a, "host", f"h{i}.bad-{tag}.example", "case")
        service.confirm(session, b, e.id)
        ids.append(e.id)
    return ids


def test_every_change_increments_the_version_and_versions_compare(session: Session, make_user) -> None:
    v0 = service.current_version(session)
    ids = _active(session, make_user, 3)
    service.content_removed(session, None, ids[1])
    assert service.current_version(session) == v0 + 4

    def mine(v: int | None = None) -> list[int]:
        return [e.id for e in service.active_entries(session, v) if e.id in ids]

    assert mine(v0 + 2) == ids[:2]
    assert mine() == [ids[0], ids[2]]
    d = service.compare(session, v0 + 2, v0 + 4)
    assert d.removed == (ids[1],) and [e.id for e in d.added] == [ids[2]]
    with pytest.raises(InvalidInput):
        service.compare(session, 0, v0 + 9)


def test_expiry_and_reverification(session: Session, make_user) -> None:
    ids = _active(session, make_user, 2)
    reviewer = make_user(roles.SENIOR_ANALYST)
    from mamoru.blocklist.models import BlocklistEntry

    for i in ids:
        session.get(BlocklistEntry, i).review_on = date.today() - timedelta(days=1)  # type: ignore[union-attr]
    service.reverify(session, reviewer, ids[0], date.today() + timedelta(days=90))
    gone = service.expire(session, date.today())
    assert [e.id for e in gone] == [ids[1]]
    assert service.expire(session, date.today()) == []  # nothing changed: nothing happens
    assert [e.id for e in service.active_entries(session) if e.id in ids] == [ids[0]]


def test_appeals_are_recorded_and_decided_by_someone_uninvolved(session: Session, make_user) -> None:
    ids = _active(session, make_user, 2)
    senior = make_user(roles.SENIOR_ANALYST)
    a1 = service.record_appeal(session, None, ids[0], "site owner", "the page was replaced")
    a2 = service.record_appeal(session, None, ids[1], "site owner", "not ours")
    v = service.current_version(session)
    service.decide_appeal(session, senior, a1.id, True, "content gone, verified")
    service.decide_appeal(session, senior, a2.id, False, "still serving the material")
    assert (a1.status, a2.status) == ("upheld", "rejected")
    assert [e.id for e in service.active_entries(session) if e.id in ids] == [ids[1]]
    assert service.current_version(session) == v + 1
    with pytest.raises(Conflict):
        service.decide_appeal(session, senior, a2.id, True, "again")


def test_publish_is_all_or_nothing_and_signed(session: Session, make_user, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    _active(session, make_user, 2)
    cfg = publishing.BlocklistSettings(tmp_path / "bl.key", None, 180)
    import mamoru.blocklist.publishing as pubmod

    def broken(*a, **k):  # type: ignore[no-untyped-def]
        raise RuntimeError("audit store unavailable")  # the last step, after every file was written

    session.commit()
    before = session.scalar(select(func.count()).select_from(BlocklistArtifact))
    with monkeypatch.context() as m:
        m.setattr(pubmod.audit, "record", broken)
        with pytest.raises(RuntimeError):
            publishing.publish(session, None, cfg)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(BlocklistArtifact)) == before
    previous = publishing.latest_publication(session)
    pub = publishing.publish(session, None, cfg)
    files = list(session.scalars(select(BlocklistArtifact).where(BlocklistArtifact.publication_id == pub.id)))
    snapshots = sorted(f.format for f in files if f.kind == "snapshot")
    assert snapshots == ["csv", "hashed", "hosts", "json", "rpz"]
    assert len(files) == 5 + (previous is not None)  # and the delta from the previous publication
    key = signing.load_public_key(cfg.key_path)
    for f in files:
        assert signing.verify(f.data, f.signature, key).version == pub.version
    with pytest.raises(Conflict, match="already published"):
        publishing.publish(session, None, cfg)


def test_an_unusable_value_says_why_in_the_readers_language() -> None:
    """The parser's reason is translated with the refusal, not quoted in English on a Japanese page."""
    from mamoru.i18n import error_messages

    with pytest.raises(InvalidInput) as refused:
        service.canonical_value("host", "walk.example.test/path")
    assert error_messages("ja", refused.value) == [
        "ホスト名: 使えるアドレスまたは名前ではありません: 'walk.example.test/path' はホスト名だけではありません"
        "（パス、クエリまたはユーザー部分を含んでいます）"]
    assert "is not a bare host name" in error_messages("en", refused.value)[0]
