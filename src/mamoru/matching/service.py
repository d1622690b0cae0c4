"""Hash banks as the hotline keeps them: create, import, export, disable, and platforms' choices.

Every change to entries takes the next `match_state` version and is audited (an import is one
event with its counts; a disable or enable is one event per entry). Matching itself is in
`runtime` (snapshot, overlay, answering queries); this module is what the CLI, the API and the
pages call to change the banks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from mamoru import audit
from mamoru.auth import roles
from mamoru.auth.models import User
from mamoru.db import add_to_counter, utcnow
from mamoru.errors import Conflict, InvalidInput, NotFound, Problem
from mamoru.matching.banks import EntryIn, EntryOut, export_entries, parse_bank_file
from mamoru.matching.models import (
    SOURCES,
    HashBank,
    HashBankEntry,
    MatchCount,
    MatchState,
    PlatformBank,
    QueryCount,
)

# Who may do what through the web pages and the API (the command line is the operators' own tool and
# names the person with --as). Analysts add their cases' hashes through the case (mamoru.hotline.to_banks);
# changing banks by hand is for senior analysts and administrators; platforms' choices for
# administrators, who keep the platforms' accounts.
BANK_READERS = frozenset({roles.ANALYST, roles.SENIOR_ANALYST, roles.ADMINISTRATOR, roles.AUDITOR})
BANK_EDITORS = frozenset({roles.SENIOR_ANALYST, roles.ADMINISTRATOR})
PLATFORM_CHOOSERS = frozenset({roles.ADMINISTRATOR})


def current_version(session: Session) -> int:
    return session.scalar(select(MatchState.version).where(MatchState.id == 1)) or 0


def next_version(session: Session) -> int:
    """Take the next change number (row-locked on PostgreSQL, so concurrent writers queue)."""
    session.flush()
    add_to_counter(session, MatchState, {"id": 1}, {"version": 1})  # the first change creates the row
    version = session.scalar(select(MatchState.version).where(MatchState.id == 1))
    assert version is not None
    return version


def create_bank(session: Session, name: str, actor: User | None, description: str = "",
                owner_organisation: str = "", source: str = "own_hotline") -> HashBank:
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput([Problem(None, "name", "a bank name has 1 to 100 characters")])
    if "/" in name or "\\" in name or any(ord(c) < 32 or ord(c) == 127 for c in name):
        # The name is part of API paths (/api/v1/banks/{name}) and file names of exports.
        raise InvalidInput([Problem(None, "name", "a bank name cannot hold '/', '\\' or control characters")])
    if source not in SOURCES:
        raise InvalidInput([Problem.of(None, "source", "one of {choices}", choices=", ".join(SOURCES))])
    if len(owner_organisation) > 200:
        raise InvalidInput([Problem(None, "owner_organisation", "at most 200 characters")])
    if session.scalar(select(HashBank.id).where(HashBank.name == name)) is not None:
        raise Conflict("a bank named {name!r} exists already", name=name)
    bank = HashBank(name=name, description=description, owner_organisation=owner_organisation,
                    source=source, created_by_id=actor.id if actor else None)
    session.add(bank)
    session.flush()
    audit.record(session, actor, "match:bank:create", f"hash_bank:{bank.id}",
                 {"name": name, "source": source, "owner": owner_organisation})
    return bank


def get_bank(session: Session, name: str) -> HashBank:
    bank = session.scalars(select(HashBank).where(HashBank.name == name)).first()
    if bank is None:
        raise NotFound("no hash bank named {name!r}", name=name)
    return bank


def list_banks(session: Session) -> list[tuple[HashBank, int]]:
    """Every bank with its number of live entries."""
    counts = dict(session.execute(
        select(HashBankEntry.bank_id, func.count()).where(HashBankEntry.disabled_at.is_(None))
        .group_by(HashBankEntry.bank_id)).all())
    banks = session.scalars(select(HashBank).order_by(HashBank.name)).all()
    return [(b, counts.get(b.id, 0)) for b in banks]


def add_entries(session: Session, bank: HashBank, entries: list[EntryIn], actor: User | None,
                how: str = "import") -> int:
    """Store the entries as one change; returns the version they carry."""
    version = next_version(session)
    now = utcnow()
    rows = [{"bank_id": bank.id, "signal": e.signal, "hash": e.hash, "category": e.category,
             "case_ref": e.case_ref, "item": e.item, "expires_at": e.expires_at,
             "added_by_id": actor.id if actor else None, "added_at": now,
             "changed_version": version, "disabled_reason": ""} for e in entries]
    for start in range(0, len(rows), 5000):
        session.execute(insert(HashBankEntry), rows[start:start + 5000])
    per_signal = Counter(e.signal for e in entries)
    audit.record(session, actor, f"match:bank:{how}", f"hash_bank:{bank.id}",
                 {"bank": bank.name, "entries": len(entries), "by_signal": dict(per_signal),
                  "version": version})
    return version


def not_in_bank(session: Session, bank: HashBank, entries: list[EntryIn]) -> list[EntryIn]:
    """The entries whose (signal, hash) the bank does not hold yet, enabled or disabled, each once.
    Looked up in chunks through the (bank, signal, hash) index, so a large bank is never read whole."""
    first: dict[tuple[str, str], EntryIn] = {}
    for e in entries:
        first.setdefault((e.signal, e.hash), e)
    unique = list(first.values())
    have: set[tuple[str, str]] = set()
    for signal in {e.signal for e in unique}:
        hashes = [e.hash for e in unique if e.signal == signal]
        for start in range(0, len(hashes), 1000):
            have.update((signal, h) for h in session.scalars(
                select(HashBankEntry.hash).where(HashBankEntry.bank_id == bank.id, HashBankEntry.signal == signal,
                                                 HashBankEntry.hash.in_(hashes[start:start + 1000]))))
    return [e for e in unique if (e.signal, e.hash) not in have]


@dataclass(frozen=True)
class ImportResult:
    imported: int
    already: int  # hashes the bank held already (enabled or disabled): not stored again


def import_file(session: Session, bank_name: str, data: bytes, fmt: str, signal: str,
                actor: User | None) -> ImportResult:
    """Parse the whole file first; any bad line refuses the import. Hashes the bank already holds are
    skipped (importing the same file twice adds nothing), and a disabled entry stays disabled."""
    bank = get_bank(session, bank_name)
    entries = parse_bank_file(data, fmt, signal)
    fresh = not_in_bank(session, bank, entries)
    if fresh:
        add_entries(session, bank, fresh, actor)
    return ImportResult(len(fresh), len(entries) - len(fresh))


def export_bank(session: Session, bank_name: str, fmt: str, signal: str | None = None) -> str:
    bank = get_bank(session, bank_name)
    rows = session.scalars(select(HashBankEntry).where(HashBankEntry.bank_id == bank.id)
                           .order_by(HashBankEntry.id)).all()
    out = [EntryOut(r.signal, r.hash, r.category, r.case_ref, r.item, r.added_at, r.expires_at,
                    r.disabled_at is not None) for r in rows]
    return export_entries(out, fmt, signal)


def get_entry(session: Session, entry_id: int) -> HashBankEntry:
    entry = session.get(HashBankEntry, entry_id)
    if entry is None:
        raise NotFound("no hash bank entry {entry}", entry=entry_id)
    return entry


def usernames(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """Usernames of the given user ids (who added or disabled entries)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(User.id, User.username).where(User.id.in_(wanted))).all())


def set_entry_disabled(session: Session, entry_id: int, disabled: bool, actor: User | None,
                       reason: str = "") -> HashBankEntry:
    """Disable (a reason is required: it stays in the audit log) or enable an entry; no change when
    it is already so."""
    reason = reason.strip()
    if disabled and not reason:
        raise InvalidInput([Problem(None, "reason", "say why the entry is disabled")])
    entry = get_entry(session, entry_id)
    if (entry.disabled_at is not None) == disabled:
        return entry
    entry.changed_version = next_version(session)
    entry.disabled_at = utcnow() if disabled else None
    entry.disabled_by_id = actor.id if (actor and disabled) else None
    entry.disabled_reason = reason if disabled else ""
    audit.record(session, actor, f"match:entry:{'disable' if disabled else 'enable'}",
                 f"hash_bank_entry:{entry.id}", {"bank_id": entry.bank_id, "reason": reason,
                                                 "version": entry.changed_version})
    return entry


def choose_banks(session: Session, platform: User, bank_names: Iterable[str],
                 show_labels: bool, actor: User | None) -> list[PlatformBank]:
    """Replace the banks offered to the platform (a bank named twice is offered once). A bank offered
    before keeps the platform's own choice (selected or not); a newly offered bank is selected."""
    if platform.role != roles.PLATFORM:
        raise InvalidInput([Problem.of(None, "platform", "{username!r} is not a platform account",
                                       username=platform.username)])
    banks = [get_bank(session, n) for n in dict.fromkeys(bank_names)]
    was_selected: dict[int, bool] = {}
    for old in session.scalars(select(PlatformBank).where(PlatformBank.user_id == platform.id)):
        was_selected[old.bank_id] = old.selected
        session.delete(old)
    session.flush()
    chosen = [PlatformBank(user_id=platform.id, bank_id=b.id, show_labels=show_labels,
                           selected=was_selected.get(b.id, True)) for b in banks]
    session.add_all(chosen)
    audit.record(session, actor, "match:platform:banks", f"user:{platform.username}",
                 {"banks": [b.name for b in banks], "show_labels": show_labels})
    session.flush()
    return chosen


def platform_banks(session: Session, user: User, offered: bool = False) -> dict[int, PlatformBank]:
    """The banks the platform matches against (those it selected), or with `offered` every bank an
    administrator offers it."""
    q = select(PlatformBank).where(PlatformBank.user_id == user.id)
    if not offered:
        q = q.where(PlatformBank.selected.is_(True))
    return {p.bank_id: p for p in session.scalars(q)}


def select_banks(session: Session, platform: User, bank_names: Iterable[str]) -> list[PlatformBank]:
    """The platform's own choice among the banks offered to it: it matches against exactly these
    (none: nothing matches). A bank not offered to it is refused, named, and nothing changes."""
    offered = {p.bank.name: p for p in platform_banks(session, platform, offered=True).values()}
    wanted = list(dict.fromkeys(n.strip() for n in bank_names))
    refused = [n for n in wanted if n not in offered]
    if refused:
        raise InvalidInput([Problem.of(None, "banks", "bank {bank!r} is not offered to this platform", bank=n)
                            for n in refused])
    for name, p in offered.items():
        p.selected = name in wanted
    audit.record(session, platform, "match:platform:select", f"user:{platform.username}",
                 {"banks": sorted(wanted), "offered": sorted(offered)})
    session.flush()
    return [offered[n] for n in sorted(offered)]


def platform_choices(session: Session) -> list[tuple[User, list[PlatformBank]]]:
    """Every active platform account with the banks it matches (none: nothing matches)."""
    platforms = session.scalars(select(User).where(User.role == roles.PLATFORM, User.active.is_(True))
                                .order_by(User.username)).all()
    chosen: dict[int, list[PlatformBank]] = {}
    for p in session.scalars(select(PlatformBank).join(HashBank).order_by(HashBank.name)):
        chosen.setdefault(p.user_id, []).append(p)
    return [(u, chosen.get(u.id, [])) for u in platforms]


def count_queries(session: Session, user_id: int, queries: int, matched: int,
                  per_bank: Counter[int]) -> None:
    """The only trace a query leaves: daily counts of queries, matched queries, matches per bank."""
    today = date.today()
    add_to_counter(session, QueryCount, {"user_id": user_id, "day": today}, {"queries": queries, "matched": matched})
    for bank_id, n in sorted(per_bank.items()):  # one order for every request: no deadlock between two
        add_to_counter(session, MatchCount, {"user_id": user_id, "bank_id": bank_id, "day": today}, {"matches": n})


def match_counts(session: Session) -> list[tuple[str, str, int]]:
    """(platform username, bank name, matches) totals, largest first."""
    rows = session.execute(
        select(User.username, HashBank.name, func.sum(MatchCount.matches))
        .join(User, User.id == MatchCount.user_id).join(HashBank, HashBank.id == MatchCount.bank_id)
        .group_by(User.username, HashBank.name).order_by(func.sum(MatchCount.matches).desc()))
    return [(u, b, int(n)) for u, b, n in rows]
