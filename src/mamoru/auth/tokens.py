"""An API token's liveness and the record of its use, as plain values: what auth.service.find_token
(the ORM) and a hot route reading the token in its own Core statement (matching/callers.py) share."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, update

from mamoru.auth.models import ApiToken

TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)
"""`last_used_at` is written at most once per interval per token: a busy platform's token does not
update its row on every request."""


def token_secret_digest(secret: str) -> str:
    """What is stored of a token's secret (its SHA-256), to look it up by."""
    return hashlib.sha256(secret.encode()).hexdigest()


def is_live(revoked_at: datetime | None, expires_at: datetime | None, owner_active: bool, now: datetime) -> bool:
    """Whether a token with these values may be used now: not revoked, not expired, its owner active."""
    return revoked_at is None and owner_active and (expires_at is None or expires_at > now)


def wants_touch(last_used_at: datetime | None, now: datetime) -> bool:
    """Whether a token last used at `last_used_at` has its use recorded again now (once a minute)."""
    return last_used_at is None or (now - last_used_at) >= TOKEN_TOUCH_INTERVAL


def touch_statement(token_id: int, now: datetime) -> Any:
    """The conditional UPDATE recording a token's use: concurrent requests write it once."""
    return (update(ApiToken)
            .where(ApiToken.id == token_id,
                   or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - TOKEN_TOUCH_INTERVAL))
            .values(last_used_at=now)
            .execution_options(synchronize_session=False))
