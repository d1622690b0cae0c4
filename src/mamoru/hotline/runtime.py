"""What the hotline's doors (web, API, CLI) need besides a session: its settings, the mailer, the DNS
resolver, the removal checker, the rate limiter and the reporters' contact key, built once from
Settings (only hotline processes build it, so only they load the contact key). The public intake
process builds a `PublicFormRuntime` instead: its limits, the rate limiter and the hotline's public
contact key, which seals and opens nothing.

The web app keeps one HotlineRuntime on app.state; tests put in their own (memory mailer, static
resolver) the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from mamoru.config import Settings
from mamoru.db import Database
from mamoru.hotline.automation import checker_from_settings
from mamoru.hotline.checker import RemovalChecker
from mamoru.hotline.contact_keys import ContactCipher, Sealer, cipher_for_role, sealer_for_role
from mamoru.hotline.mail import mailer_from_settings
from mamoru.hotline.ratelimit import limiter_for
from mamoru.hotline.settings import HotlineSettings
from mamoru.hotline.tracing import DnsResolver, Resolver
from mamoru.mail import Mailer
from mamoru.ratelimit import RateLimiter


@dataclass
class HotlineRuntime:
    settings: HotlineSettings
    mailer: Mailer
    resolver: Resolver
    checker: RemovalChecker
    limiter: RateLimiter
    secret: str
    contacts: ContactCipher
    intake_executor: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(4, "hotline-intake"))


@dataclass
class PublicFormRuntime:
    """What the public report form needs in the intake process (MAMORU_ROLE=intake)."""

    settings: HotlineSettings
    limiter: RateLimiter
    secret: str
    contacts: Sealer


def _limiter(hs: HotlineSettings, database: Database) -> RateLimiter:
    return limiter_for(hs.rate_store, hs.redis_url, database)


def build(settings: Settings, database: Database) -> HotlineRuntime:
    hs = settings.domain(HotlineSettings)
    return HotlineRuntime(settings=hs, mailer=mailer_from_settings(hs), resolver=DnsResolver(hs.dns_server),
                          checker=checker_from_settings(hs), limiter=_limiter(hs, database),
                          secret=settings.resolved_secret_key(), contacts=contact_cipher(settings, hs))


def build_public_form(settings: Settings, database: Database) -> PublicFormRuntime:
    hs = settings.domain(HotlineSettings)
    path = hs.contact_public_key_path or settings.var_dir / "keys" / "contact.pub"
    return PublicFormRuntime(settings=hs, limiter=_limiter(hs, database), secret=settings.resolved_secret_key(),
                             contacts=sealer_for_role(settings.role, path))


def contact_cipher(settings: Settings, hs: HotlineSettings | None = None) -> ContactCipher:
    hs = hs or settings.domain(HotlineSettings)
    path = hs.contact_key_path or settings.var_dir / "keys" / "contact.key"
    return cipher_for_role(settings.role, path)


def for_app(state: Any) -> HotlineRuntime:
    rt = getattr(state, "hotline_runtime", None)
    if rt is None:
        rt = build(state.settings, state.database)
        state.hotline_runtime = rt
    return rt


def for_public_form(state: Any) -> HotlineRuntime | PublicFormRuntime:
    """The runtime the public form uses: the intake's own in an intake process, else the hotline's."""
    if state.settings.role != "intake":
        return for_app(state)
    rt = getattr(state, "public_form_runtime", None)
    if rt is None:
        rt = build_public_form(state.settings, state.database)
        state.public_form_runtime = rt
    return rt


@contextmanager
def write_transaction(database: Database) -> Iterator[Session]:
    """A short unit of work committed before the response is sent.

    The intake hot path uses this instead of the request-scoped session: that one commits after the
    response, in a worker thread, and under load the requests waiting for a connection can take every
    thread and starve the commits that would free them. On SQLite the transaction starts with
    the write lock, so writers queue on the busy timeout instead of failing with "database is locked"
    when a deferred transaction cannot be upgraded. SQLAlchemy emits a plain (deferred) BEGIN, so the
    first statement is a write that changes nothing: it takes the write lock before anything is read.
    """
    with database.session() as s:
        if database.is_sqlite:
            s.execute(text("UPDATE hl_rate_counters SET hits = hits WHERE 1 = 0"))
        yield s
