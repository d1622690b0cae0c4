"""The audit chain: intact chains verify, altered or removed entries are named, and a chain
recomputed after a checkpoint is caught by that checkpoint."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mamoru import audit
from mamoru.audit import AuditEvent


def _fill(session: Session, n: int = 6) -> None:
    for i in range(n):
        audit.record(session, None, "test:event", f"thing:{i}", {"i": i, "text": "日本語"})
    session.flush()


def test_intact_chain_verifies(session: Session) -> None:
    _fill(session)
    result = audit.verify(session)
    assert result.ok and result.entries >= 6 and result.problems == []


def test_altered_entry_is_named(session: Session) -> None:
    _fill(session)
    target = session.scalars(select(AuditEvent).where(AuditEvent.target == "thing:3")).one()
    seq = target.seq
    session.execute(update(AuditEvent).where(AuditEvent.seq == seq).values(detail='{"i":99}'))
    session.expire_all()
    result = audit.verify(session)
    assert not result.ok
    assert result.first_bad_seq == seq
    assert f"entry {seq} was altered" in result.problems[0]


def test_removed_entry_is_named(session: Session) -> None:
    _fill(session)
    target = session.scalars(select(AuditEvent).where(AuditEvent.target == "thing:2")).one()
    seq = target.seq
    session.delete(target)
    session.flush()
    result = audit.verify(session)
    assert not result.ok and result.first_bad_seq == seq
    assert "missing" in result.problems[0]


def _recompute_chain(session: Session) -> None:
    """What an attacker with write access does: rewrite an entry, then recompute every hash."""
    prev = audit.GENESIS
    for ev in session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all():
        if ev.target == "thing:1":
            ev.detail = '{"i":1,"text":"rewritten"}'
        ev.prev_hash = prev
        ev.hash = audit.event_hash(ev.seq, ev.at, ev.actor, ev.action, ev.target, ev.detail, prev)
        prev = ev.hash
    session.flush()


def test_recomputed_chain_disagrees_with_checkpoint(session: Session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _fill(session)
    key = audit.load_or_create_key(tmp_path / "audit.key")
    cp = audit.checkpoint(session, key)
    _fill(session, 2)  # entries after the checkpoint are not covered by it
    _recompute_chain(session)
    public = audit.load_public_key(audit.public_key_path(tmp_path / "audit.key"))
    plain = audit.verify(session)
    assert plain.ok, "the recomputed chain is internally consistent: only the checkpoint can tell"
    result = audit.verify(session, cp, public)
    assert not result.ok
    assert "disagrees with the checkpoint" in result.problems[0]
    assert f"entries 1 to {cp['count']}" in result.problems[0]


def test_checkpoint_matches_untouched_chain(session: Session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _fill(session)
    key = audit.load_or_create_key(tmp_path / "k")
    cp = audit.checkpoint(session, key)
    _fill(session, 3)
    assert audit.verify(session, cp, key.public_key()).ok


def test_forged_checkpoint_signature_is_refused(session: Session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pytest

    _fill(session)
    key = audit.load_or_create_key(tmp_path / "k")
    cp = audit.checkpoint(session, key)
    cp["head_hash"] = "0" * 64
    with pytest.raises(ValueError, match="signature"):
        audit.verify(session, cp, key.public_key())


def test_truncated_log_is_reported(session: Session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _fill(session)
    key = audit.load_or_create_key(tmp_path / "k")
    cp = audit.checkpoint(session, key)
    last = session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
    session.delete(last)
    session.flush()
    result = audit.verify(session, cp, key.public_key())
    assert not result.ok and "no longer in the log" in result.problems[0]


def test_the_checkpoint_key_is_private_from_creation_and_never_half_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before, the key was written in place and then chmod-ed: readable by others for a moment, and a
    kill part-way left a truncated PEM that stopped every later checkpoint."""
    from mamoru import files

    path = tmp_path / "audit.key"

    def interrupted(src: object, dst: object) -> None:
        raise OSError("interrupted")

    monkeypatch.setattr(files.os, "link", interrupted)
    with pytest.raises(OSError, match="interrupted"):
        audit.load_or_create_key(path)
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    created: list[int] = []
    real_open = files.os.open

    def watching_open(name: object, flags: int, mode: int = 0o777) -> int:
        created.append(mode)
        return real_open(name, flags, mode)

    monkeypatch.setattr(files.os, "open", watching_open)
    key = audit.load_or_create_key(path)
    monkeypatch.undo()
    assert created[0] == 0o600 and path.stat().st_mode & 0o777 == 0o600
    assert audit.load_public_key(audit.public_key_path(path)).public_bytes_raw() == key.public_key().public_bytes_raw()
