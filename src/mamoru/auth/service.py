"""Account, session and token operations. Every change is written to the audit log."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from mamoru import audit
from mamoru.auth import roles
from mamoru.auth.models import ApiToken, LoginAttempt, User, WebSession
from mamoru.auth.passwords import check_strength, hash_password, verify_password
from mamoru.db import utcnow

THROTTLE_WINDOW = timedelta(minutes=15)


class AuthError(Exception):
    """A refused request; `code` is the HTTP-like status (400 bad input, 403 refused, 409 exists)."""

    def __init__(self, message: str, code: int = 400):
        super().__init__(message)
        self.code = code


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def get_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def create_user(
    session: Session,
    username: str,
    role: str,
    password: str,
    *,
    agency_code: str | None = None,
    created_by: User | None = None,
    display_name: str = "",
    email: str = "",
    known_agency: Callable[[str], bool] | None = None,
) -> User:
    """Create an account. Agencies are the plan's (auth is below plan): a door creating agency
    officers passes `known_agency`, the plan's check that a code names an agency
    (mamoru.plan.service.agency_exists), and an unknown code is refused."""
    username = username.strip()
    if not username or len(username) > 64 or not all(c.isalnum() or c in "._-@" for c in username):
        raise AuthError("username must be 1-64 letters, digits or . _ - @")
    if not roles.is_role(role):
        raise AuthError(f"unknown role {role!r}; choose one of: {', '.join(roles.ALL_ROLES)}")
    if role == roles.AGENCY_OFFICER and not agency_code:
        raise AuthError("an agency officer needs an agency (--agency CODE)")
    if role != roles.AGENCY_OFFICER and agency_code:
        raise AuthError("only agency officers are scoped to an agency")
    try:
        check_strength(password)
    except ValueError as exc:
        raise AuthError(str(exc)) from exc
    if get_user(session, username) is not None:
        raise AuthError(f"user {username!r} already exists", code=409)
    if agency_code and known_agency is not None and not known_agency(agency_code):
        raise AuthError(f"unknown agency {agency_code!r}")
    user = User(
        username=username,
        role=role,
        agency_code=agency_code,
        password_hash=hash_password(password),
        created_by_id=created_by.id if created_by else None,
        display_name=display_name,
        email=email,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        created_by,
        "user:create",
        f"user:{username}",
        {"role": role, "agency": agency_code, "created_by": created_by.username if created_by else None},
    )
    return user


def set_password(session: Session, user: User, password: str, actor: User | None) -> None:
    check_strength(password)
    user.password_hash = hash_password(password)
    audit.record(session, actor, "user:password:set", f"user:{user.username}")


def set_active(session: Session, user: User, active: bool, actor: User | None) -> None:
    user.active = active
    if not active:
        session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    audit.record(session, actor, "user:activate" if active else "user:deactivate", f"user:{user.username}")


def recent_failures(session: Session, username: str, now: datetime | None = None) -> int:
    since = (now or utcnow()) - THROTTLE_WINDOW
    return session.scalar(
        select(func.count()).select_from(LoginAttempt).where(
            LoginAttempt.username == username, LoginAttempt.at >= since
        )
    ) or 0


def authenticate(session: Session, username: str, password: str, max_failures: int) -> User:
    """Check a login. Refuses further attempts for a username after `max_failures` recent ones."""
    if recent_failures(session, username) >= max_failures:
        raise AuthError("too many failed attempts; wait 15 minutes", code=429)
    user = get_user(session, username)
    if user is None or not user.active or not verify_password(user.password_hash, password):
        session.add(LoginAttempt(username=username[:64]))
        session.flush()
        raise AuthError("wrong username or password", code=401)
    session.execute(delete(LoginAttempt).where(LoginAttempt.username == username))
    return user


@dataclass(frozen=True)
class NewSession:
    cookie_value: str
    csrf_token: str


def open_session(session: Session, user: User, hours: float) -> NewSession:
    key = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    now = utcnow()
    # Expired sessions go here, in a transaction that commits: the request that refuses one usually
    # rolls back (its delete with it), so that alone would leave the rows behind.
    session.execute(delete(WebSession).where(WebSession.expires_at <= now))
    session.add(
        WebSession(
            key_hash=_sha256(key),
            user_id=user.id,
            csrf_token=csrf,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    audit.record(session, user, "user:login", f"user:{user.username}")
    return NewSession(cookie_value=key, csrf_token=csrf)


def find_session(session: Session, cookie_value: str, hours: float) -> WebSession | None:
    """The live session for a cookie, slid forward; an expired one is refused and deleted (the delete
    holds when the request commits; every login also deletes all expired sessions)."""
    ws = session.scalar(select(WebSession).where(WebSession.key_hash == _sha256(cookie_value)))
    if ws is None:
        return None
    now = utcnow()
    if ws.expires_at <= now or not ws.user.active:
        session.delete(ws)
        return None
    if (now - ws.last_seen_at) > timedelta(minutes=1):
        ws.last_seen_at = now
        ws.expires_at = now + timedelta(hours=hours)
    return ws


def close_session(session: Session, cookie_value: str) -> None:
    session.execute(delete(WebSession).where(WebSession.key_hash == _sha256(cookie_value)))


TOKEN_PREFIX = "mmr_"


def issue_token(session: Session, user: User, name: str, scopes: list[str], actor: User | None = None,
                expires_at: datetime | None = None) -> str:
    """Create an API token for `user` and return its secret; only its hash is stored."""
    unknown = [s for s in scopes if s not in roles.SCOPES]
    if unknown:
        raise AuthError(f"unknown scope(s): {', '.join(unknown)}")
    allowed = roles.ROLE_SCOPES.get(user.role, frozenset())
    refused = [s for s in scopes if s not in allowed]
    if refused:
        raise AuthError(f"role {user.role} may not hold scope(s): {', '.join(refused)}", code=403)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            user_id=user.id,
            name=name,
            prefix=secret[:12],
            secret_hash=_sha256(secret),
            scopes=sorted(set(scopes)),
            expires_at=expires_at,
        )
    )
    session.flush()
    audit.record(session, actor or user, "token:create", f"user:{user.username}", {"name": name, "scopes": sorted(set(scopes))})
    return secret


def find_token(session: Session, secret: str) -> ApiToken | None:
    tok = session.scalar(select(ApiToken).where(ApiToken.secret_hash == _sha256(secret)))
    if tok is None or tok.revoked_at is not None or not tok.user.active:
        return None
    now = utcnow()
    if tok.expires_at is not None and tok.expires_at <= now:
        return None
    if tok.last_used_at is None or (now - tok.last_used_at) > timedelta(minutes=5):
        tok.last_used_at = now
    return tok


def revoke_token(session: Session, token: ApiToken, actor: User | None) -> None:
    token.revoked_at = utcnow()
    audit.record(session, actor, "token:revoke", f"user:{token.user.username}", {"name": token.name})
