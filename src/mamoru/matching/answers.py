"""One match request, as the API and the CLI share it: check, look up, label, count.

A platform (role `platform`) matches only the banks it chose, at the match threshold at most (index.MATCH_DISTANCE; a wider
radius would let a caller probe the banks bit by bit) and sees category labels only for banks whose
choice allows them. No other account matches at all (PermissionDenied), whatever door it comes by;
only the command line (`user` None: an operator at the server) matches any bank. What a query leaves behind is
only counters: queries and matched queries per platform and day, matches per bank.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from mamoru.auth import roles
from mamoru.auth.models import User
from mamoru.errors import InvalidInput, PermissionDenied, Problem
from mamoru.matching.banks import HEX_DIGITS, normalise_hash
from mamoru.matching.callers import Asker
from mamoru.matching.counting import QueryCounts
from mamoru.matching.hashing import DIHEDRAL_NAMES
from mamoru.matching.index import MATCH_DISTANCE, MAX_DISTANCE, pdq_words
from mamoru.matching.matcher import AnsweredBy, Match, Matcher
from mamoru.matching.models import HashBank, HashBankEntry
from mamoru.matching.service import count_queries, platform_banks

MAX_HASHES = 1000
NOT_A_PLATFORM = "matching is for platform accounts (their API tokens), against the banks offered to and chosen by them"
@dataclass(frozen=True)
class QueryResult:
    query: str
    matches: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class MatchAnswer:
    results: list[QueryResult]
    answered_by: AnsweredBy

    def as_dict(self) -> dict[str, Any]:
        return {"answered_by": self.answered_by.as_dict(),
                "results": [{"query": r.query, "matches": r.matches} for r in self.results]}


def _checked(hashes: Sequence[str], signal: str, distance: int, role: str | None) -> list[str]:
    if signal not in HEX_DIGITS:
        raise InvalidInput([Problem(None, "signal", "one of pdq, md5, sha1, sha256")])
    if not 1 <= len(hashes) <= MAX_HASHES:
        raise InvalidInput([Problem.of(None, "hashes", "send 1 to {most} hashes", most=MAX_HASHES)])
    if not 0 <= distance <= MAX_DISTANCE:
        raise InvalidInput([Problem.of(None, "distance", "between 0 and {most}", most=MAX_DISTANCE)])
    if role is not None and role != roles.PLATFORM:
        raise PermissionDenied(NOT_A_PLATFORM)
    if role is not None and distance > MATCH_DISTANCE:
        raise PermissionDenied("platforms match at distance {most} or less", most=MATCH_DISTANCE)
    out, problems = [], []
    for i, h in enumerate(hashes):
        try:
            out.append(normalise_hash(signal, h))
        except ValueError as exc:
            problems.append(Problem.because(i + 1, "hashes", exc))
    if problems:
        raise InvalidInput(problems)
    return out


def _lookup(matcher: Matcher, signal: str, hashes: list[str], distance: int,
            banks: Collection[int] | None) -> tuple[list[list[Match]], AnsweredBy]:
    if signal == "pdq":
        return matcher.match_pdq(pdq_words(hashes), distance, banks)
    return matcher.match_exact(signal, [bytes.fromhex(h) for h in hashes], banks)


def asker_of(session: Session, user: User) -> Asker:
    """The account as a match sees it (its chosen banks only for a platform: nobody else matches)."""
    chosen = ({b: p.show_labels for b, p in platform_banks(session, user).items()}
              if user.role == roles.PLATFORM else {})
    return Asker(user.id, user.role, chosen)


def answer(db: Session | Connection, matcher: Matcher, user: User | Asker | None, hashes: Sequence[str],
           signal: str = "pdq", distance: int = MATCH_DISTANCE,
           bank_names: Collection[str] | None = None, counts: QueryCounts | None = None) -> MatchAnswer:
    """Match the hashes; `user` None is the command line (all banks, labels shown, no counters).
    `user` is an account (its banks are read through `db`, a session) or an Asker (the match API's
    hot path, callers.token_caller: `db` may then be a Core connection). The counters go to `counts`
    (the matcher process's, written every few seconds) when given, else into `db` (a session)."""
    if isinstance(user, User):
        if not isinstance(db, Session):
            raise TypeError("an account's banks are read through a session")
        asker: Asker | None = asker_of(db, user)
    else:
        asker = user
    checked = _checked(hashes, signal, distance, asker.role if asker is not None else None)
    is_platform = asker is not None and asker.role == roles.PLATFORM
    if asker is not None:
        banks: set[int] | None = set(asker.chosen)
    elif bank_names is not None:
        wanted = set(bank_names)
        banks = {i for i, n in db.execute(select(HashBank.id, HashBank.name)).all() if n in wanted}
    else:
        banks = None
    found, by = _lookup(matcher, signal, checked, distance, banks)
    # Names and labels only for what matched (most queries match nothing: no query for them)
    ids = {m.entry_id for ms in found for m in ms}
    names: dict[int, str] = {}
    labels: dict[int, str] = {}
    if ids:
        for entry_id, category, bank_id, bank_name in db.execute(
                select(HashBankEntry.id, HashBankEntry.category, HashBank.id, HashBank.name)
                .join(HashBank, HashBank.id == HashBankEntry.bank_id).where(HashBankEntry.id.in_(ids))):
            labels[entry_id], names[bank_id] = category, bank_name
    results = []
    per_bank: Counter[int] = Counter()
    for h, ms in zip(checked, found, strict=True):
        out = []
        for m in ms:
            row: dict[str, Any] = {"bank": names.get(m.bank_id, str(m.bank_id)),
                                   "entry_id": m.entry_id, "distance": m.distance}
            if asker is None or not is_platform or asker.chosen[m.bank_id]:
                row["category"] = labels.get(m.entry_id, "")
            out.append(row)
            per_bank[m.bank_id] += 1
        results.append(QueryResult(h, out))
    if asker is not None:
        matched = sum(1 for r in results if r.matches)
        if counts is not None:
            counts.add(asker.user_id, len(checked), matched, per_bank)
        elif isinstance(db, Session):
            count_queries(db, asker.user_id, len(checked), matched, per_bank)
        else:
            raise TypeError("counters without a QueryCounts are written through a session")
    return MatchAnswer(results, by)


DIHEDRAL_GROUP = len(DIHEDRAL_NAMES)


def answer_dihedral(session: Session | Connection, matcher: Matcher, user: User | Asker | None, groups: Sequence[str],
                    distance: int = MATCH_DISTANCE, bank_names: Collection[str] | None = None,
                    counts: QueryCounts | None = None) -> MatchAnswer:
    """Dihedral matching: each query is one image's eight PDQ hashes (its rotations and flips, as
    `mamoru hash --dihedral` writes them), comma-separated in DIHEDRAL_NAMES order. A bank entry
    matches the image when it is within `distance` of any of the eight; each match names the
    variant that came closest. The eight count as eight queries against the platform's limits.

    The hashes must come from the image: PDQ's rotations cannot be derived exactly from a hash
    (the median threshold is taken over coefficients that the rotation changes)."""
    problems: list[Problem] = []
    flat: list[str] = []
    for row, group in enumerate(groups, start=1):
        parts = [p.strip() for p in group.split(",")]
        if len(parts) != DIHEDRAL_GROUP:
            problems.append(Problem.of(row, "hashes", "with dihedral, each query is {n} PDQ hashes separated by "
                                                      "commas ({names})", n=DIHEDRAL_GROUP, names=", ".join(DIHEDRAL_NAMES)))
        flat.extend(parts)
    if problems:
        raise InvalidInput(problems)
    if len(flat) > MAX_HASHES:
        raise InvalidInput([Problem.of(None, "hashes", "with dihedral, send at most {images} images ({most} hashes)",
                                       images=MAX_HASHES // DIHEDRAL_GROUP, most=MAX_HASHES)])
    try:
        flat_answer = answer(session, matcher, user, flat, "pdq", distance, bank_names, counts)
    except InvalidInput as exc:  # name the image and the variant, not the position in the flat list
        raise InvalidInput([Problem.of((p.row - 1) // DIHEDRAL_GROUP + 1, p.field, "{variant}: {reason}",
                                       variant=DIHEDRAL_NAMES[(p.row - 1) % DIHEDRAL_GROUP], reason=p.reason)
                            if p.row else p for p in exc.problems]) from None
    results = []
    for i, group in enumerate(groups):
        best: dict[tuple[str, int], dict[str, Any]] = {}
        variants = flat_answer.results[i * DIHEDRAL_GROUP:(i + 1) * DIHEDRAL_GROUP]
        for name, result in zip(DIHEDRAL_NAMES, variants, strict=True):
            for m in result.matches:
                key = (m["bank"], m["entry_id"])
                if key not in best or m["distance"] < best[key]["distance"]:
                    best[key] = {**m, "variant": name}
        results.append(QueryResult(group, sorted(best.values(), key=lambda m: (m["distance"], m["bank"], m["entry_id"]))))
    return MatchAnswer(results, flat_answer.answered_by)
