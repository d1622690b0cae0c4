"""Account, session and token operations. Every change is written to the audit log."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.errors import HeaderParseError
from email.headerregistry import Address

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from mamoru import audit
from mamoru.auth import roles
from mamoru.auth.models import ApiToken, LoginAttempt, User, WebSession
from mamoru.auth.passwords import check_strength, hash_password, verify_password
from mamoru.auth.tokens import is_live, touch_statement, wants_touch
from mamoru.db import utcnow
from mamoru.errors import NotFound, PermissionDenied
from mamoru.i18n import LANGS

THROTTLE_WINDOW = timedelta(minutes=15)
"""How long a failed login counts towards the delay of the next ones; older rows are deleted."""
DELAY_FIRST = 0.5
DELAY_CAP = 8.0
"""Seconds a wrong password waits once past MAMORU_LOGIN_ATTEMPTS failures: DELAY_FIRST, doubling
with each further failure, at most DELAY_CAP."""
UNKNOWN_NAMES_MAX = 1000
"""Failed logins under names that are no account's kept at once (within the window); beyond it
such failures are not stored."""
log = logging.getLogger("mamoru.auth")


class AuthError(Exception):
    """A refused request; `code` is the HTTP-like status (400 bad input, 403 refused, 409 exists)."""

    def __init__(self, message: str, code: int = 400):
        super().__init__(message)
        self.code = code


class LoginFailed(AuthError):
    """A wrong username or password (401). `delay`: the seconds the door waits before answering,
    after the attempt is committed and without holding a database connection."""

    def __init__(self, delay: float):
        super().__init__("wrong username or password", code=401)
        self.delay = delay


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


EMAIL_MAX = 254
DISPLAY_NAME_MAX = 200
EDITABLE = ("role", "agency_code", "display_name", "email", "preferred_lang")
"""The columns an administrator changes on an account's page (and `active`, by set_active; the user
their own preferred_lang, by set_language): the office process's database user may UPDATE these and
no other (mamoru.separation)."""


def check_email(email: str) -> str:
    """`email` stripped, if empty or one plain address (local@domain, an addr-spec: no display name,
    no list, no spaces or control characters, at most EMAIL_MAX characters); else AuthError."""
    email = email.strip()
    if not email:
        return ""
    if len(email) > EMAIL_MAX or any(c.isspace() or unicodedata.category(c).startswith("C") for c in email):
        raise AuthError(f"e-mail: one address such as name@example.jp, at most {EMAIL_MAX} characters, "
                        "without spaces or control characters")
    try:
        parsed = Address(addr_spec=email)
    except (ValueError, IndexError, HeaderParseError):
        parsed = None
    if parsed is None or parsed.addr_spec != email or not parsed.username or "." not in parsed.domain \
            or parsed.domain.startswith(".") or parsed.domain.endswith(".") or ".." in parsed.domain:
        raise AuthError("e-mail: one address such as name@example.jp")
    return email


def _check_display_name(name: str) -> str:
    name = name.strip()
    if len(name) > DISPLAY_NAME_MAX or any(unicodedata.category(c).startswith("C") for c in name):
        raise AuthError(f"display name: at most {DISPLAY_NAME_MAX} characters, without control characters")
    return name


LANG_REFUSED = "The language is ja (日本語) or en (English)."


def check_lang(lang: str) -> str:
    """`lang` if it is one of mamoru's languages (i18n.LANGS: ja, en); else AuthError."""
    if lang not in LANGS:
        raise AuthError(LANG_REFUSED)
    return lang


def _check_role_agency(role: str, agency_code: str | None, known_agency: Callable[[str], bool] | None) -> None:
    if not roles.is_role(role):
        raise AuthError(f"unknown role {role!r}; choose one of: {', '.join(roles.ALL_ROLES)}")
    if role == roles.AGENCY_OFFICER and not agency_code:
        raise AuthError("an agency officer needs an agency (--agency CODE)")
    if role != roles.AGENCY_OFFICER and agency_code:
        raise AuthError("only agency officers are scoped to an agency")
    if agency_code and known_agency is not None and not known_agency(agency_code):
        raise AuthError(f"unknown agency {agency_code!r}")


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
    preferred_lang: str = "ja",
    known_agency: Callable[[str], bool] | None = None,
) -> User:
    """Create an account. Agencies are the plan's (auth is below plan): a door creating agency
    officers passes `known_agency`, the plan's check that a code names an agency
    (mamoru.plan.service.agency_exists), and an unknown code is refused."""
    username = username.strip()
    if not username or len(username) > 64 or not all(c.isalnum() or c in "._-@" for c in username):
        raise AuthError("username must be 1-64 letters, digits or . _ - @")
    _check_role_agency(role, agency_code, None)
    email = check_email(email)
    display_name = _check_display_name(display_name)
    check_lang(preferred_lang)
    try:
        check_strength(password)
    except ValueError as exc:
        raise AuthError(str(exc)) from exc
    if get_user(session, username) is not None:
        raise AuthError(f"user {username!r} already exists", code=409)
    _check_role_agency(role, agency_code, known_agency)
    user = User(
        username=username,
        role=role,
        agency_code=agency_code,
        password_hash=hash_password(password),
        created_by_id=created_by.id if created_by else None,
        display_name=display_name,
        email=email,
        preferred_lang=preferred_lang,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        created_by,
        "user:create",
        f"user:{username}",
        {"role": role, "agency": agency_code, "created_by": created_by.username if created_by else None,
         "email": email, "display_name": display_name, "preferred_lang": preferred_lang},
    )
    return user


@dataclass(frozen=True)
class UserChange:
    """An administrator's change of an account: None leaves a field as it is (the agency follows
    the role: a role other than agency officer clears it)."""

    role: str | None = None
    agency_code: str | None = None
    display_name: str | None = None
    email: str | None = None
    preferred_lang: str | None = None


def edit_user(session: Session, user: User, change: UserChange, actor: User | None, *,
              known_agency: Callable[[str], bool] | None = None) -> dict[str, list[object]]:
    """Change an account's role (and agency), display name, e-mail and language; audited as user:edit with
    each changed field's old and new value. Returns those changes (empty: nothing changed, nothing
    audited). Refuses (AuthError) what create_user refuses; an administrator may not take the
    administrator role from their own account (nobody would be left to give it back)."""
    role = change.role if change.role is not None else user.role
    if change.agency_code is not None:
        agency = change.agency_code.strip().upper() or None
    else:  # kept for an agency officer, cleared with any other role
        agency = user.agency_code if role == roles.AGENCY_OFFICER else None
    _check_role_agency(role, agency, known_agency)
    if actor is not None and actor.id == user.id and role != user.role:
        raise AuthError("you may not change the role of your own account", code=403)
    new: dict[str, object] = {"role": role, "agency_code": agency}
    if change.display_name is not None:
        new["display_name"] = _check_display_name(change.display_name)
    if change.email is not None:
        new["email"] = check_email(change.email)
    if change.preferred_lang is not None:
        new["preferred_lang"] = check_lang(change.preferred_lang)
    changes = {f: [getattr(user, f), v] for f, v in new.items() if getattr(user, f) != v}
    if not changes:
        return {}
    for f, (_, v) in changes.items():
        setattr(user, f, v)
    session.flush()
    audit.record(session, actor, "user:edit", f"user:{user.username}", {"changes": changes})
    return changes


def set_language(session: Session, user: User, lang: str) -> bool:
    """A user's own choice of the language of the mails sent to them (their account page); audited as
    user:edit with the old and new value, like an administrator's change. False: it already was."""
    if user.preferred_lang == check_lang(lang):
        return False
    old, user.preferred_lang = user.preferred_lang, lang
    session.flush()
    audit.record(session, user, "user:edit", f"user:{user.username}", {"changes": {"preferred_lang": [old, lang]}})
    return True


def set_password(session: Session, user: User, password: str, actor: User | None) -> None:
    check_strength(password)
    user.password_hash = hash_password(password)
    audit.record(session, actor, "user:password:set", f"user:{user.username}")


def set_active(session: Session, user: User, active: bool, actor: User | None) -> bool:
    """Deactivate (or reactivate) an account. Deactivating ends its sessions at once; its API
    tokens are refused from then on (find_token and find_session refuse an inactive owner) and work
    again after a reactivation unless revoked or expired. Audited as user:deactivate or
    user:activate; returns False (nothing audited) when the account already was so. An
    administrator may not deactivate their own account (AuthError 403)."""
    if actor is not None and actor.id == user.id and not active:
        raise AuthError("you may not deactivate your own account", code=403)
    if user.active == active:
        return False
    user.active = active
    if not active:
        session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    session.flush()
    audit.record(session, actor, "user:activate" if active else "user:deactivate", f"user:{user.username}")
    return True


def user_history(session: Session, user: User, limit: int = 200) -> list[audit.AuditEvent]:
    """The audit events about an account (created, edited, deactivated, its password, logins, its
    tokens), newest first."""
    return list(session.scalars(select(audit.AuditEvent).where(audit.AuditEvent.target == f"user:{user.username}")
                                .order_by(audit.AuditEvent.seq.desc()).limit(limit)))


def recent_failures(session: Session, username: str, now: datetime | None = None) -> int:
    """Failed logins for `username` within the window."""
    since = (now or utcnow()) - THROTTLE_WINDOW
    return session.scalar(
        select(func.count()).select_from(LoginAttempt).where(
            LoginAttempt.username == username, LoginAttempt.at >= since
        )
    ) or 0


def client_key(secret: str, address: str) -> str:
    """The key a client's failed logins are counted under: an HMAC of its address with the
    process's secret, so login_attempts holds no address."""
    return hmac.new(secret.encode(), f"login:{address}".encode(), hashlib.sha256).hexdigest()[:32]


def failure_delay(failures: int, free: int) -> float:
    """Seconds to wait before answering the `failures`-th recent failed login (this one counted):
    none for the first `free` (MAMORU_LOGIN_ATTEMPTS), then DELAY_FIRST, doubling up to DELAY_CAP."""
    over = failures - max(free, 0)
    if over <= 0:
        return 0.0
    return float(min(DELAY_CAP, DELAY_FIRST * 2.0 ** min(over - 1, 16)))


def authenticate(session: Session, username: str, password: str, free_failures: int,
                 client: str | None = None) -> User:
    """Check a login. The right password of an active account always gets in, however many wrong
    attempts came before (no lockout: an attacker cannot keep the real user out); it clears the
    failures this client made for this name.

    A wrong one raises LoginFailed carrying the delay the door waits before answering: from the
    failed logins within THROTTLE_WINDOW for this username and for this client key (`client`,
    see client_key), whichever is more (failure_delay). Each is counted as a row of login_attempts,
    in the caller's transaction; rows older than the window are deleted here. A name that is no
    account's is stored only while fewer than UNKNOWN_NAMES_MAX such rows are kept; beyond that it
    is not stored and is answered after DELAY_CAP, so nobody can fill the table with made-up names."""
    user = get_user(session, username)
    if user is not None and user.active and verify_password(user.password_hash, password):
        session.execute(delete(LoginAttempt).where(LoginAttempt.username == username,
                                                   LoginAttempt.client_key == client))
        return user
    now = utcnow()
    since = now - THROTTLE_WINDOW
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < since))
    name = username[:64]
    if user is None:
        unknown = session.scalar(select(func.count()).select_from(LoginAttempt).where(
            LoginAttempt.username.not_in(select(User.username)))) or 0
        if unknown >= UNKNOWN_NAMES_MAX:
            log.warning("failed login for a name that is no account's, not stored (%d such kept); "
                        "answered after %.1f s", unknown, DELAY_CAP)
            raise LoginFailed(DELAY_CAP)
    session.add(LoginAttempt(username=name, client_key=client, at=now))
    session.flush()
    by_name = recent_failures(session, name, now)
    by_client = 0
    if client:
        by_client = session.scalar(select(func.count()).select_from(LoginAttempt).where(
            LoginAttempt.client_key == client, LoginAttempt.at >= since)) or 0
    delay = failure_delay(max(by_name, by_client), free_failures)
    log.info("failed login for %s (%d for this name, %d from this client within %d minutes); answered after %.1f s",
             f"user {user.username}" if user is not None else "a name that is no account's", by_name, by_client,
             THROTTLE_WINDOW.total_seconds() // 60, delay)
    raise LoginFailed(delay)


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
TOKEN_MAX_DAYS = 3650
"""The longest expiry a token may be given, in days (ten years; a token needed longer is replaced)."""


@dataclass(frozen=True)
class NewToken:
    """A token just created: the row, and its secret, which is shown once and never stored."""

    token: ApiToken
    secret: str


def issue_token(session: Session, user: User, name: str, scopes: list[str], actor: User | None = None,
                expires_at: datetime | None = None) -> str:
    """Create an API token for `user` and return its secret; only its hash is stored."""
    return _issue(session, user, name, scopes, actor, expires_at).secret


def _issue(session: Session, user: User, name: str, scopes: list[str], actor: User | None,
           expires_at: datetime | None) -> NewToken:
    unknown = [s for s in scopes if s not in roles.SCOPES]
    if unknown:
        raise AuthError(f"unknown scope(s): {', '.join(unknown)}; choose from: {', '.join(roles.SCOPES)}")
    allowed = roles.ROLE_SCOPES.get(user.role, frozenset())
    refused = [s for s in scopes if s not in allowed]
    if refused:
        raise AuthError(f"role {user.role} may not hold scope(s): {', '.join(refused)}", code=403)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        prefix=secret[:12],
        secret_hash=_sha256(secret),
        scopes=sorted(set(scopes)),
        created_at=utcnow(),
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    audit.record(session, actor or user, "token:create", f"user:{user.username}",
                 {"id": token.id, "name": name, "scopes": sorted(set(scopes)),
                  "expires_at": expires_at.isoformat() if expires_at else None})
    return NewToken(token=token, secret=secret)


def _may_manage_tokens(owner: User, actor: User | None) -> None:
    """The owner manages their own tokens, an administrator anyone's; None is the command line
    (an operator at the server)."""
    if actor is not None and actor.id != owner.id and actor.role != roles.ADMINISTRATOR:
        raise PermissionDenied("only an administrator manages another user's API tokens")


def create_token(session: Session, owner: User, name: str, scopes: list[str], *, actor: User | None = None,
                 expires_in_days: int | None = None, not_after: datetime | None = None) -> NewToken:
    """Create an API token for `owner`, valid for `expires_in_days` days if given (else until revoked),
    and never past `not_after` (a token made with another token lives no longer than it).

    Refuses (AuthError 400) an empty or long name, no scope, an unknown scope, an expiry that is not
    1 to TOKEN_MAX_DAYS days; (AuthError 403) a scope the owner's role may not hold; and
    (PermissionDenied) an actor other than the owner who is not an administrator. Audited as
    token:create. Both doors (the command line, the account page and API) call this."""
    _may_manage_tokens(owner, actor)
    name = name.strip()
    if not name or len(name) > 100:
        raise AuthError("a token's name is 1 to 100 characters")
    scopes = [s.strip() for s in scopes if s.strip()]
    if not scopes:
        raise AuthError(f"give at least one scope; choose from: {', '.join(sorted(roles.ROLE_SCOPES.get(owner.role, ())))}")
    expires_at = None
    if expires_in_days is not None:
        if isinstance(expires_in_days, bool) or not isinstance(expires_in_days, int) \
                or not 1 <= expires_in_days <= TOKEN_MAX_DAYS:
            raise AuthError(f"the expiry is a whole number of days from 1 to {TOKEN_MAX_DAYS}")
        expires_at = utcnow() + timedelta(days=expires_in_days)
    if not_after is not None and (expires_at is None or not_after < expires_at):
        expires_at = not_after
    return _issue(session, owner, name, scopes, actor, expires_at)


def list_tokens(session: Session, owner: User, actor: User | None = None) -> list[ApiToken]:
    """Every token of `owner`, revoked and expired ones included, oldest first (never a secret:
    only its hash is stored)."""
    _may_manage_tokens(owner, actor)
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == owner.id).order_by(ApiToken.id)))


def token_state(token: ApiToken, now: datetime | None = None) -> str:
    """What a token is now: revoked, expired or active."""
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= (now or utcnow()):
        return "expired"
    return "active"


def _live(tok: ApiToken | None, now: datetime) -> bool:
    return tok is not None and is_live(tok.revoked_at, tok.expires_at, tok.user.active, now)


def find_token(session: Session, secret: str, *, touch: bool = True) -> ApiToken | None:
    """The live token with this secret, or None for an unknown, revoked or expired token or one whose
    owner is deactivated. With `touch`, records its use in `last_used_at` (at most once per
    TOKEN_TOUCH_INTERVAL; the update is conditional, so concurrent requests write it once).
    The token and its owner come in one query."""
    tok = session.scalar(select(ApiToken).options(joinedload(ApiToken.user))
                         .where(ApiToken.secret_hash == _sha256(secret)))
    now = utcnow()
    if tok is None or not _live(tok, now):
        return None
    if touch and wants_touch(tok.last_used_at, now):
        session.execute(touch_statement(tok.id, now))
        set_committed_value(tok, "last_used_at", now)  # written above; not again at the next flush
    return tok


def live_token_by_id(session: Session, token_id: int) -> ApiToken | None:
    """The token with this id and its owner (one query), if it is still live: for a request whose
    secret find_token has already checked in the request's own first transaction."""
    tok = session.scalar(select(ApiToken).options(joinedload(ApiToken.user)).where(ApiToken.id == token_id))
    return tok if tok is not None and _live(tok, utcnow()) else None


def revoke_token(session: Session, token: ApiToken, actor: User | None) -> ApiToken:
    """Revoke `token` now (audited as token:revoke); a token already revoked keeps its time."""
    _may_manage_tokens(token.user, actor)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()
        audit.record(session, actor, "token:revoke", f"user:{token.user.username}",
                     {"id": token.id, "name": token.name})
    return token


def revoke_token_by_id(session: Session, token_id: int, actor: User | None, *, owner: User | None = None) -> ApiToken:
    """Revoke the token with this id; with `owner`, only one of theirs (another's is not found, so
    an id reveals nothing). NotFound for an unknown id, PermissionDenied for an actor who may not."""
    token = session.get(ApiToken, token_id)
    if token is None or (owner is not None and token.user_id != owner.id):
        raise NotFound(f"no API token {token_id}" + (f" of {owner.username}" if owner is not None else ""))
    if actor is not None and actor.id != token.user_id and actor.role != roles.ADMINISTRATOR:
        raise NotFound(f"no API token {token_id}")
    return revoke_token(session, token, actor)
