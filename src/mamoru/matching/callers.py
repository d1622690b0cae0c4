"""Who is matching, for the match API's hot path: a platform's API token, its owner and the banks it
chose, read in ONE Core statement (no ORM objects, no identity map) on the short pool
(db.Database.short). The ORM path (auth.service.find_token and service.platform_banks) reads the same
rows in two queries; tests/functional/matching/test_callers.py holds the two to the same answers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, and_, bindparam, select
from sqlalchemy.engine import Connection

from mamoru.auth import tokens
from mamoru.auth.models import ApiToken, User
from mamoru.db import utcnow
from mamoru.matching.models import PlatformBank

_TOKENS = cast(Table, ApiToken.__table__)
_USERS = cast(Table, User.__table__)
_CHOICES = cast(Table, PlatformBank.__table__)

_CALLER = (select(_TOKENS.c.id, _TOKENS.c.scopes, _TOKENS.c.expires_at, _TOKENS.c.revoked_at, _TOKENS.c.last_used_at,
                  _USERS.c.id, _USERS.c.username, _USERS.c.role, _USERS.c.active, _USERS.c.agency_code,
                  _CHOICES.c.bank_id, _CHOICES.c.show_labels)
           .select_from(_TOKENS.join(_USERS, _USERS.c.id == _TOKENS.c.user_id)
                        .outerjoin(_CHOICES, and_(_CHOICES.c.user_id == _USERS.c.id, _CHOICES.c.selected.is_(True))))
           .where(_TOKENS.c.secret_hash == bindparam("digest")))


@dataclass(frozen=True)
class Asker:
    """A matching account as a match needs it: its id, its role and the banks it matches against
    (bank id -> whether its matches there carry the category label)."""

    user_id: int
    role: str
    chosen: Mapping[int, bool]


@dataclass(frozen=True)
class TokenCaller:
    """A live API token and its owner, with the owner's chosen banks."""

    token_id: int
    scopes: tuple[str, ...]
    user_id: int
    username: str
    role: str
    agency_code: str | None
    asker: Asker


def token_caller(conn: Connection, secret: str) -> TokenCaller | None:
    """The live token with this secret and its owner's chosen banks, or None (unknown, revoked,
    expired, owner deactivated: auth.service.is_live). Records the token's use as find_token does
    (conditional, at most once a minute: idempotent, so Database.read may run this twice)."""
    rows = conn.execute(_CALLER, {"digest": tokens.token_secret_digest(secret)}).all()
    if not rows:
        return None
    (token_id, scopes, expires_at, revoked_at, last_used_at, user_id, username, role, active, agency,
     _, _) = rows[0]
    now = utcnow()
    if not tokens.is_live(revoked_at, expires_at, bool(active), now):
        return None
    if tokens.wants_touch(last_used_at, now):
        conn.execute(tokens.touch_statement(token_id, now))
    chosen = {r[10]: bool(r[11]) for r in rows if r[10] is not None}
    return TokenCaller(token_id=token_id, scopes=tuple(scopes or ()), user_id=user_id, username=username,
                       role=role, agency_code=agency, asker=Asker(user_id, role, chosen))
