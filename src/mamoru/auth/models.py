"""People and credentials: users, web sessions, API tokens and login attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mamoru.db import Base, UTCDateTime, utcnow


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    role: Mapped[str] = mapped_column(String(32))
    agency_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # Deferred: loading a User (a token's owner, a list of accounts) does not read the hash; signing in
    # and setting a password load it on access. The matcher's and feed's database users may not
    # SELECT it at all (separation.TOKEN_USER_COLUMNS).
    password_hash: Mapped[str] = mapped_column(String(255), deferred=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The language of the mails sent to this account ('ja' or 'en'; auth.service.LANGS).
    preferred_lang: Mapped[str] = mapped_column(String(2), default="ja", server_default="ja")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Who created this account: four-eyes rules refuse a confirmation by an account that the
    # proposer created. None means the command line (an operator at the server).
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_by: Mapped[User | None] = relationship(remote_side="User.id")

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class WebSession(Base):
    """A browser session; the cookie holds the random key, the database only its SHA-256."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    user: Mapped[User] = relationship()


class ApiToken(Base):
    """An API token: shown once, stored as SHA-256 of the secret, with scopes."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    user: Mapped[User] = relationship()


class LoginAttempt(Base):
    """Failed logins within the last 15 minutes, per username and per client key, for slowing the
    answers to wrong passwords (auth.service.authenticate). Holds no client address: the client key
    is an HMAC of it. Rows older than the window are deleted; names that are no account's are stored
    up to a bound only."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    client_key: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)


class FormDraft(Base):
    """What a staff member typed into a form that could not be taken at once (their session had
    expired, or a field did not parse), kept briefly so the form comes back filled
    (mamoru.web.drafts). The fields are encrypted with a key derived from the random key in the
    browser's cookie, of which only a hash is stored: the database alone cannot read them. Never the
    public report form's fields, never a password, a CSRF token or a file."""

    __tablename__ = "form_drafts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
