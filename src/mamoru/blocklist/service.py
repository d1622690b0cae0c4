"""The blocking list's rules: propose, confirm (four eyes), remove, review, appeals, versions.

Every change is written to the audit log. Every change of the active list (an entry confirmed,
an entry removed) increments the list version by one. Roles: hotline analysts, senior analysts and
administrators propose and confirm; nobody confirms an entry they proposed, nor one proposed by an
account they created or by an account that created theirs, directly or through a chain of accounts
created in turn (so an administrator cannot confirm through a second account of their own making,
nor through a third that the second made).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import Session

from mamoru import audit, urls
from mamoru.auth import roles
from mamoru.auth.models import User
from mamoru.blocklist.compiler import FORMATS, KINDS, ListedEntry, is_dns_name
from mamoru.blocklist.delta import Delta, make_delta
from mamoru.blocklist.models import BlocklistAppeal, BlocklistEntry, BlocklistSubscription, BlocklistVersion
from mamoru.db import utcnow
from mamoru.errors import BadValue, Conflict, InvalidInput, NotFound, PermissionDenied, Problem, Term, Terms

CRITERIA = ("purpose", "confirmed", "same-operator", "no-alternative")
CRITERIA_TEXT = {
    "purpose": "the site exists chiefly to spread the material",
    "confirmed": "at least one clearly abusive item was confirmed",
    "same-operator": "the operator is the same across the domain",
    "no-alternative": "no effective alternative such as deletion is available",
}
CRITERIA_LABELS = {  # as the propose page names them (pages/blocklist/_labels.html)
    "purpose": "The site exists chiefly to spread the material",
    "confirmed": "At least one clearly abusive item was confirmed",
    "same-operator": "The operator is the same across the domain",
    "no-alternative": "No effective alternative such as deletion is available",
}
STATUS_LABELS = {"proposed": "Awaiting confirmation", "active": "On the list", "rejected": "Rejected",
                 "removed": "Removed from the list"}
APPEAL_STATUS_LABELS = {"pending": "Pending decision", "upheld": "Upheld (entry removed)", "rejected": "Dismissed"}
EDITOR_ROLES = frozenset({roles.ANALYST, roles.SENIOR_ANALYST, roles.ADMINISTRATOR})
DECIDER_ROLES = frozenset({roles.SENIOR_ANALYST, roles.ADMINISTRATOR})
DEFAULT_CATEGORY = "csam"
DEFAULT_REVIEW_DAYS = 180
_PG_LOCK_KEY = 7_261_006  # advisory lock serialising version numbers on PostgreSQL


def _status(status: str) -> Term:
    return Term(status, STATUS_LABELS.get(status))


def _value_key(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


def canonical_value(kind: str, raw: str) -> str:
    """The stored form of an entry's value; InvalidInput says why a value cannot be listed."""
    if kind not in KINDS:
        raise InvalidInput([Problem.of(None, "kind", "choose url, host or domain, not {kind!r}", kind=kind)])
    try:
        value = urls.canonicalize(raw) if kind == "url" else urls.canonicalize_host(raw)
    except ValueError as exc:
        # the parser's reason (mamoru.urls), translated with the message on a page
        raise InvalidInput([Problem.of(None, kind, "not a usable address or name: {detail}",
                                       detail=exc.phrase() if isinstance(exc, BadValue) else str(exc))]) from None
    if kind != "url" and not is_dns_name(value):
        raise InvalidInput([Problem.of(None, kind, "{value!r} is not a DNS name that can be blocked "
                                       "(an IP address or a bare top-level domain); list a URL instead", value=value)])
    return value


def _require_role(user: User | None, allowed: frozenset[str], what: str) -> User:
    if user is None:
        raise PermissionDenied("{what} needs a named user (--as USERNAME)", what=Term(what))
    if user.role not in allowed:
        raise PermissionDenied("{what} needs the role {roles}; {user} is {role}", what=Term(what),
                               roles=" or ".join(sorted(allowed)), user=user.username, role=user.role)
    return user


def get_entry(session: Session, entry_id: int) -> BlocklistEntry:
    entry = session.get(BlocklistEntry, entry_id)
    if entry is None:
        raise NotFound("no blocking list entry {entry}", entry=entry_id)
    return entry


def propose(session: Session, actor: User | None, kind: str, raw: str, reason: str, *,
            criteria: Iterable[str] = (), category: str = DEFAULT_CATEGORY, case_ref: str | None = None,
            review_days: int = DEFAULT_REVIEW_DAYS) -> BlocklistEntry:
    user = _require_role(actor, EDITOR_ROLES, "proposing an entry")
    value = canonical_value(kind, raw)
    given = sorted({c.strip() for c in criteria if c.strip()})
    unknown = [c for c in given if c not in CRITERIA]
    if unknown:
        raise InvalidInput([Problem.of(None, "criteria", "unknown criteria {unknown}; use {criteria}",
                                       unknown=", ".join(unknown), criteria=",".join(CRITERIA))])
    if kind == "domain":
        missing = [c for c in CRITERIA if c not in given]
        if missing:
            raise InvalidInput([Problem.of(None, "criteria", "a domain is listed whole only when all four criteria "
                                           "hold; missing: {missing} ({texts}). List a URL or host instead.",
                                           missing=Terms(Term(c, CRITERIA_LABELS[c]) for c in missing),
                                           texts="; ".join(CRITERIA_TEXT[c] for c in missing))])
    if not reason.strip() and not (case_ref or "").strip():
        raise InvalidInput([Problem(None, "reason", "give a reason or the hotline case it comes from")])
    key = _value_key(kind, value)
    dup = session.scalar(select(BlocklistEntry).where(BlocklistEntry.value_key == key,
                                                      BlocklistEntry.status.in_(("proposed", "active"))))
    if dup is not None:
        raise Conflict("{kind} {value} is already {status} as entry {entry}", kind=kind, value=value,
                       status=_status(dup.status), entry=dup.id)
    entry = BlocklistEntry(kind=kind, value=value, value_key=key, entered_as=raw, category=category.strip() or DEFAULT_CATEGORY,
                           case_ref=(case_ref or "").strip() or None, reason=reason.strip(), criteria=given,
                           status="proposed", proposed_by_id=user.id, proposed_at=utcnow(),
                           review_on=date.today() + timedelta(days=review_days))
    session.add(entry)
    session.flush()
    audit.record(session, user, "blocklist:entry:propose", f"blocklist-entry:{entry.id}",
                 {"kind": kind, "value": value, "criteria": given, "case_ref": entry.case_ref})
    return entry


def creators(user: User) -> list[User]:
    """The accounts that created `user`, its creator's creator and so on, nearest first, up to an
    account made on the command line. A cycle in `created_by` (never made by mamoru, but possible
    by hand in the database) ends the walk instead of looping."""
    chain: list[User] = []
    seen = {user.id}
    current = user.created_by
    while current is not None and current.id not in seen:
        chain.append(current)
        seen.add(current.id)
        current = current.created_by
    return chain


def _through(chain: list[User], upto: User) -> str:
    """The accounts between `upto` and the start of `chain`, said in a refusal (empty when direct)."""
    ids = [u.id for u in chain]
    between = [u.username for u in reversed(chain[:ids.index(upto.id)])]
    return f" (through {', '.join(between)})" if between else ""


def four_eyes_refusal(proposer: User, confirmer: User) -> str | None:
    """Why `confirmer` may not confirm an entry `proposer` made, or None when they may.

    Refused: the proposer; any account the proposer created, directly or through accounts created
    in turn; any account that created the proposer's, directly or through others.
    """
    if confirmer.id == proposer.id:
        return "you proposed this entry: a second, different person must confirm it"
    above_confirmer = creators(confirmer)
    if proposer.id in {u.id for u in above_confirmer}:
        return (f"your account was created by the proposer{_through(above_confirmer, proposer)}: "
                "a person independent of the proposer must confirm it")
    above_proposer = creators(proposer)
    if confirmer.id in {u.id for u in above_proposer}:
        return (f"the proposer's account was created by you{_through(above_proposer, confirmer)}: "
                "a person independent of the proposer must confirm it")
    return None


def _next_version(session: Session, actor: User | None, action: str, entry: BlocklistEntry, note: str) -> int:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
    number = current_version(session) + 1
    session.add(BlocklistVersion(number=number, at=utcnow(), actor=actor.username if actor else "cli",
                                 action=action, entry_id=entry.id, note=note))
    session.flush()
    return number


def confirm(session: Session, actor: User | None, entry_id: int) -> BlocklistEntry:
    user = _require_role(actor, EDITOR_ROLES, "confirming an entry")
    entry = get_entry(session, entry_id)
    if entry.status != "proposed":
        raise Conflict("entry {entry} is {status}, not awaiting confirmation", entry=entry.id,
                       status=_status(entry.status))
    refusal = four_eyes_refusal(entry.proposed_by, user)
    if refusal is not None:
        audit.record(session, user, "blocklist:entry:confirm-refused", f"blocklist-entry:{entry.id}", {"why": refusal})
        raise PermissionDenied("entry {entry}: {refusal}", entry=entry.id, refusal=refusal)
    entry.status, entry.confirmed_by_id, entry.confirmed_at = "active", user.id, utcnow()
    entry.added_version = _next_version(session, user, "add", entry, "confirmed")
    audit.record(session, user, "blocklist:entry:confirm", f"blocklist-entry:{entry.id}",
                 {"version": entry.added_version})
    return entry


def reject(session: Session, actor: User | None, entry_id: int, reason: str) -> BlocklistEntry:
    """Withdraw (the proposer) or reject (anyone else) an entry not yet confirmed."""
    user = _require_role(actor, EDITOR_ROLES, "rejecting an entry")
    entry = get_entry(session, entry_id)
    if entry.status != "proposed":
        raise Conflict("entry {entry} is {status}; only a proposed entry can be rejected", entry=entry.id,
                       status=_status(entry.status))
    entry.status, entry.closed_at, entry.closed_reason = "rejected", utcnow(), reason.strip()
    audit.record(session, user, "blocklist:entry:reject", f"blocklist-entry:{entry.id}", {"reason": reason})
    return entry


def remove(session: Session, actor: User | None, entry_id: int, reason: str, *, action: str = "remove") -> BlocklistEntry:
    """Take an active entry off the list (content removed, appeal upheld, review lapsed)."""
    if actor is not None:
        _require_role(actor, EDITOR_ROLES, "removing an entry")
    if not reason.strip():
        raise InvalidInput([Problem(None, "reason", "say why the entry leaves the list")])
    entry = get_entry(session, entry_id)
    if entry.status != "active":
        raise Conflict("entry {entry} is {status}, not on the list", entry=entry.id, status=_status(entry.status))
    entry.status, entry.closed_at, entry.closed_reason = "removed", utcnow(), reason.strip()
    entry.removed_version = _next_version(session, actor, "remove", entry, reason.strip())
    audit.record(session, actor, f"blocklist:entry:{action}", f"blocklist-entry:{entry.id}",
                 {"reason": reason, "version": entry.removed_version})
    return entry


def content_removed(session: Session, actor: User | None, entry_id: int) -> BlocklistEntry:
    """The hotline verified the content is gone: the entry leaves the list."""
    return remove(session, actor, entry_id, "content verified as removed by the hotline", action="content-removed")


def reverify(session: Session, actor: User | None, entry_id: int, next_review: date) -> BlocklistEntry:
    user = _require_role(actor, EDITOR_ROLES, "re-verifying an entry")
    entry = get_entry(session, entry_id)
    if entry.status != "active":
        raise Conflict("entry {entry} is {status}, not on the list", entry=entry.id, status=_status(entry.status))
    if next_review <= date.today():
        raise InvalidInput([Problem(None, "review_on", "the next review date must be in the future")])
    old, entry.review_on = entry.review_on, next_review
    audit.record(session, user, "blocklist:entry:reverify", f"blocklist-entry:{entry.id}",
                 {"from": old.isoformat(), "to": next_review.isoformat()})
    return entry


def review_due(session: Session, today: date) -> list[BlocklistEntry]:
    return list(session.scalars(select(BlocklistEntry).where(BlocklistEntry.status == "active",
                                                             BlocklistEntry.review_on <= today)
                                .order_by(BlocklistEntry.review_on, BlocklistEntry.id)))


def expire(session: Session, today: date, actor: User | None = None) -> list[BlocklistEntry]:
    """Remove active entries whose review date has passed without re-verification (none: no change)."""
    lapsed = [e for e in review_due(session, today) if e.review_on < today]
    return [remove(session, actor, e.id, f"review date {e.review_on.isoformat()} passed without re-verification",
                   action="expire") for e in lapsed]


def record_appeal(session: Session, actor: User | None, entry_id: int, appellant: str, grounds: str) -> BlocklistAppeal:
    entry = get_entry(session, entry_id)
    if not appellant.strip() or not grounds.strip():
        raise InvalidInput([Problem(None, "appeal", "name the appellant and state the grounds")])
    appeal = BlocklistAppeal(entry_id=entry.id, appellant=appellant.strip(), grounds=grounds.strip(),
                             recorded_by_id=actor.id if actor else None, received_at=utcnow())
    session.add(appeal)
    session.flush()
    audit.record(session, actor, "blocklist:appeal:record", f"blocklist-entry:{entry.id}", {"appeal": appeal.id})
    return appeal


def decide_appeal(session: Session, actor: User | None, appeal_id: int, upheld: bool, reason: str) -> BlocklistAppeal:
    """A senior analyst or administrator who neither proposed nor confirmed the entry decides."""
    user = _require_role(actor, DECIDER_ROLES, "deciding an appeal")
    appeal = session.get(BlocklistAppeal, appeal_id)
    if appeal is None:
        raise NotFound("no appeal {appeal}", appeal=appeal_id)
    if appeal.status != "pending":
        raise Conflict("appeal {appeal} was already decided ({status})", appeal=appeal.id,
                       status=Term(appeal.status, APPEAL_STATUS_LABELS.get(appeal.status)))
    if user.id in (appeal.entry.proposed_by_id, appeal.entry.confirmed_by_id):
        raise PermissionDenied("you proposed or confirmed this entry: someone else decides the appeal")
    if not reason.strip():
        raise InvalidInput([Problem(None, "reason", "give the reason for the decision")])
    appeal.status = "upheld" if upheld else "rejected"
    appeal.decided_by_id, appeal.decided_at, appeal.decision_reason = user.id, utcnow(), reason.strip()
    audit.record(session, user, "blocklist:appeal:decide", f"blocklist-entry:{appeal.entry_id}",
                 {"appeal": appeal.id, "status": appeal.status})
    if upheld and appeal.entry.status == "active":
        remove(session, user, appeal.entry_id, f"appeal {appeal.id} upheld: {reason.strip()}", action="appeal-upheld")
    return appeal


# --- versions ------------------------------------------------------------------------------------

def current_version(session: Session) -> int:
    return session.scalar(select(func.max(BlocklistVersion.number))) or 0


def active_entries(session: Session, version: int | None = None) -> list[ListedEntry]:
    """The list as it stood at `version` (default: now), ordered by entry id."""
    v = current_version(session) if version is None else version
    rows = session.execute(
        select(BlocklistEntry.id, BlocklistEntry.kind, BlocklistEntry.value, BlocklistEntry.category)
        .where(BlocklistEntry.added_version <= v,
               or_(BlocklistEntry.removed_version.is_(None), BlocklistEntry.removed_version > v))
        .order_by(BlocklistEntry.id))
    return [ListedEntry(r[0], r[1], r[2], r[3]) for r in rows]


def compare(session: Session, from_version: int, to_version: int) -> Delta:
    now = current_version(session)
    for v in (from_version, to_version):
        if not 0 <= v <= now:
            raise InvalidInput([Problem.of(None, "version", "version {version} does not exist (the list is at {now})",
                                           version=v, now=now)])
    return make_delta(active_entries(session, from_version), active_entries(session, to_version),
                      from_version, to_version)


def entries(session: Session, status: str | None = None, limit: int = 500, *, search: str | None = None,
            kind: str | None = None) -> Sequence[BlocklistEntry]:
    """Entries, newest first; `search` matches part of the value or the hotline case reference."""
    q = select(BlocklistEntry).order_by(BlocklistEntry.id.desc()).limit(limit)
    if status:
        q = q.where(BlocklistEntry.status == status)
    if kind:
        q = q.where(BlocklistEntry.kind == kind)
    if search and search.strip():
        pattern = "%" + search.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        q = q.where(or_(func.lower(BlocklistEntry.value).like(pattern, escape="\\"),
                        func.lower(BlocklistEntry.case_ref).like(pattern, escape="\\")))
    return list(session.scalars(q))


def appeals(session: Session, status: str | None = None, entry_id: int | None = None,
            limit: int = 500) -> list[BlocklistAppeal]:
    """Appeals, oldest first (the order they are to be decided in)."""
    q = select(BlocklistAppeal).order_by(BlocklistAppeal.id).limit(limit)
    if status:
        q = q.where(BlocklistAppeal.status == status)
    if entry_id is not None:
        q = q.where(BlocklistAppeal.entry_id == entry_id)
    return list(session.scalars(q))




ENTITLEMENTS = ("plaintext", "hashed")
"""What a subscriber may fetch: `plaintext`, every format (rpz, hosts, csv, json, hashed) and the
deltas (which name the entries); `hashed`, the hashed list (SHA-256 prefixes) and its signature only."""
HASHED_FORMATS = frozenset({"hashed"})


def entitlement_of(session: Session, user: User) -> str:
    """A subscriber's entitlement (`plaintext` when none was set); staff fetch every format."""
    if user.role != roles.SUBSCRIBER:
        return "plaintext"
    found = session.scalar(select(BlocklistSubscription.entitlement).where(BlocklistSubscription.user_id == user.id))
    return found or "plaintext"


def may_fetch(entitlement: str, fmt: str) -> bool:
    """Whether a subscriber with `entitlement` may fetch a file of format `fmt` ("delta" for deltas)."""
    return entitlement == "plaintext" or fmt in HASHED_FORMATS


def require_entitlement(session: Session, user: User, fmt: str) -> None:
    """PermissionDenied (403) when `user` may not fetch format `fmt` (or "delta") from the feed; an
    unknown format is left to the route (404)."""
    if (fmt in FORMATS or fmt == "delta") and not may_fetch(entitlement_of(session, user), fmt):
        raise PermissionDenied("{user} is entitled to the hashed list only ({fmt} names the entries in plain text): "
                               "fetch /api/v1/blocklist/snapshots/hashed", user=user.username,
                               fmt="the deltas" if fmt == "delta" else fmt)


def set_entitlement(session: Session, actor: User | None, username: str, entitlement: str) -> BlocklistSubscription:
    """Set what a subscriber may fetch; administrators (or the command line) only; audited with the
    previous value."""
    if actor is not None and actor.role != roles.ADMINISTRATOR:
        raise PermissionDenied("setting a subscriber's entitlement needs the role administrator; {user} is {role}",
                               user=actor.username, role=actor.role)
    if entitlement not in ENTITLEMENTS:
        raise InvalidInput([Problem.of(None, "entitlement", "choose {choices}, not {entitlement!r}",
                                       choices=" or ".join(ENTITLEMENTS), entitlement=entitlement)])
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound("no user {username!r}", username=username)
    if user.role != roles.SUBSCRIBER:
        raise InvalidInput([Problem.of(None, "username", "{username} is {role}, not a blocking list subscriber",
                                       username=username, role=user.role)])
    row = session.scalar(select(BlocklistSubscription).where(BlocklistSubscription.user_id == user.id))
    previous = row.entitlement if row is not None else "plaintext"
    if row is None:
        row = BlocklistSubscription(user_id=user.id, entitlement=entitlement)
        session.add(row)
    row.entitlement = entitlement
    row.set_by = actor.username if actor is not None else "cli"
    row.set_at = utcnow()
    session.flush()
    audit.record(session, actor, "blocklist:subscriber:set", f"user:{username}",
                 {"entitlement": entitlement, "previous": previous})
    return row


def subscriptions(session: Session) -> list[tuple[User, str]]:
    """Every subscriber account with its entitlement, by username."""
    users = session.scalars(select(User).where(User.role == roles.SUBSCRIBER).order_by(User.username))
    given = {uid: e for uid, e in session.execute(select(BlocklistSubscription.user_id, BlocklistSubscription.entitlement))}
    return [(u, given.get(u.id, "plaintext")) for u in users]
