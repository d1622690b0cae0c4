"""Append-only, hash-chained audit log, and checkpoints that anchor its head outside the database.

Every change anyone makes is recorded with `record()`; reads of sensitive records with
`record_read()`. Each event's hash covers its content and the previous event's hash, so altering or
removing a stored event breaks the chain at that event. Someone who can write to the database could
recompute the whole chain, so `checkpoint()` signs the head (entry count and hash) with an Ed25519
key kept outside the database; `verify()` compares the chain with such a checkpoint.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Integer, String, Text, func, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from mamoru import files
from mamoru.db import Base, UTCDateTime, utcnow


class Actor(Protocol):
    """Who acts: an account (mamoru.auth's User is one). The log keeps only the username; the audit
    log sits below auth, so it names what it reads of an account rather than importing the model."""

    @property
    def username(self) -> str: ...

    @property
    def role(self) -> str: ...

GENESIS = "0" * 64
CHECKPOINT_FORMAT = "mamoru-audit-checkpoint/1"
_PG_LOCK_KEY = 7_261_001  # advisory lock serialising appends on PostgreSQL


class AuditEvent(Base):
    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(64))  # username, or "cli" for the command line
    action: Mapped[str] = mapped_column(String(80), index=True)
    target: Mapped[str] = mapped_column(String(200), index=True)
    detail: Mapped[str] = mapped_column(Text, default="{}")  # canonical JSON
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


def _ts(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def event_hash(seq: int, at: datetime, actor: str, action: str, target: str, detail: str, prev: str) -> str:
    body = canonical_json([seq, _ts(at), actor, action, target, detail, prev])
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _actor_name(actor: Actor | str | None) -> str:
    if actor is None:
        return "cli"
    if isinstance(actor, str):
        return actor
    return actor.username


def record(session: Session, actor: Actor | str | None, action: str, target: str,
           detail: dict[str, Any] | None = None) -> AuditEvent:
    """Append one event to the chain in the caller's transaction."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
    session.flush()
    head = session.execute(select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)).first()
    seq, prev = (head[0] + 1, head[1]) if head else (1, GENESIS)
    at = utcnow()
    detail_json = canonical_json(detail or {})
    name = _actor_name(actor)
    ev = AuditEvent(
        seq=seq, at=at, actor=name, action=action, target=target, detail=detail_json, prev_hash=prev,
        hash=event_hash(seq, at, name, action, target, detail_json, prev),
    )
    session.add(ev)
    session.flush()
    return ev


def record_read(session: Session, actor: Actor | str | None, action: str, target: str,
                detail: dict[str, Any] | None = None) -> AuditEvent:
    """Record a read of a sensitive record (hotline case, hash bank); action is prefixed read:."""
    return record(session, actor, action if action.startswith("read:") else f"read:{action}", target, detail)


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


# --- checkpoints -------------------------------------------------------------------------------

def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """The checkpoint signing key; created whole (mode 0600 from the start) with its public key beside it."""
    return files.load_or_create_key(path)


public_key_path = files.public_key_path
public_pem = files.public_pem


def load_public_key(path: Path) -> Ed25519PublicKey:
    data = path.read_bytes()
    if b"PRIVATE KEY" in data:
        priv = serialization.load_pem_private_key(data, password=None)
        assert isinstance(priv, Ed25519PrivateKey)
        return priv.public_key()
    key = serialization.load_pem_public_key(data)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{path} is not an Ed25519 public key")
    return key


def key_id(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def checkpoint(session: Session, key: Ed25519PrivateKey) -> dict[str, Any]:
    """A signed statement of the chain head: number of entries and the last entry's hash."""
    head = session.execute(select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)).first()
    body = {
        "format": CHECKPOINT_FORMAT,
        "count": head[0] if head else 0,
        "head_hash": head[1] if head else GENESIS,
        "created_at": _ts(utcnow()),
        "key_id": key_id(key.public_key()),
    }
    sig = key.sign(canonical_json(body).encode())
    return {**body, "signature": base64.b64encode(sig).decode()}


# --- verification ------------------------------------------------------------------------------

@dataclass
class VerifyResult:
    ok: bool
    entries: int
    problems: list[str] = field(default_factory=list)
    first_bad_seq: int | None = None


def _check_checkpoint_signature(cp: dict[str, Any], public: Ed25519PublicKey) -> None:
    body = {k: v for k, v in cp.items() if k != "signature"}
    try:
        public.verify(base64.b64decode(cp["signature"]), canonical_json(body).encode())
    except (InvalidSignature, KeyError, ValueError) as exc:
        raise ValueError("the checkpoint's signature does not verify with the audit key") from exc


def verify(session: Session, cp: dict[str, Any] | None = None, public: Ed25519PublicKey | None = None) -> VerifyResult:
    """Walk the chain in order; name the first altered or removed entry; compare with a checkpoint."""
    result = VerifyResult(ok=True, entries=0)
    prev, expected_seq = GENESIS, 1
    hashes: dict[int, str] = {}
    rows = session.execute(select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=2000)).scalars()
    for ev in rows:
        result.entries += 1
        if result.first_bad_seq is None:
            if ev.seq != expected_seq:
                result.first_bad_seq = expected_seq
                result.problems.append(f"entry {expected_seq} is missing (removed); the next stored entry is {ev.seq}")
            elif ev.prev_hash != prev:
                result.first_bad_seq = ev.seq
                result.problems.append(f"entry {ev.seq} does not link to entry {ev.seq - 1} (an entry was removed or altered)")
            elif event_hash(ev.seq, ev.at, ev.actor, ev.action, ev.target, ev.detail, ev.prev_hash) != ev.hash:
                result.first_bad_seq = ev.seq
                result.problems.append(f"entry {ev.seq} was altered ({ev.action} on {ev.target}): its content no longer matches its hash")
        prev, expected_seq = ev.hash, ev.seq + 1
        if cp is not None and ev.seq == cp.get("count"):
            hashes[ev.seq] = ev.hash
        session.expunge(ev)
    if cp is not None:
        if cp.get("format") != CHECKPOINT_FORMAT:
            raise ValueError("not a mamoru audit checkpoint")
        if public is not None:
            _check_checkpoint_signature(cp, public)
        n = int(cp["count"])
        covered = f"entries 1 to {n}" if n else "no entries"
        if n > 0 and n not in hashes:
            result.problems.append(f"the checkpoint of {cp['created_at']} covers {covered}, but entry {n} is no longer in the log (entries were removed)")
        elif n > 0 and hashes[n] != cp["head_hash"]:
            result.problems.append(
                f"the chain disagrees with the checkpoint of {cp['created_at']}, which covers {covered}: "
                f"entry {n} now hashes to {hashes[n][:16]}..., the checkpoint says {cp['head_hash'][:16]}... "
                "(the chain was rewritten after the checkpoint)")
    result.ok = not result.problems
    return result
