"""Users and API tokens, built through mamoru.auth.service."""

from __future__ import annotations

import secrets

from sqlalchemy.orm import Session

from mamoru.auth.models import User
from mamoru.auth.service import create_user, issue_token

PASSWORD = "correct-horse-battery"


def user(session: Session, role: str, agency: str | None = None, created_by: User | None = None,
         username: str | None = None, password: str = PASSWORD, email: str = "", lang: str = "ja") -> User:
    """A user of `role` (a unique name `<role>-<hex>` unless one is given) whose mails are in `lang`, committed."""
    made = create_user(session, username or f"{role}-{secrets.token_hex(3)}", role, password,
                       agency_code=agency, created_by=created_by, email=email, preferred_lang=lang)
    session.commit()
    return made


def api_token(session: Session, owner: User, scopes: list[str], name: str = "test") -> str:
    """An API token of `owner` with `scopes`, committed; returns its secret."""
    secret = issue_token(session, owner, name, scopes)
    session.commit()
    return secret

