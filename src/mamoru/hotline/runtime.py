"""What the hotline's doors (web, API, CLI) need besides a session: its settings, the mailer, the DNS
resolver, the removal checker and the rate limiter, built once from Settings.

The web app keeps one HotlineRuntime on app.state; tests put in their own (memory mailer, static
resolver) the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mamoru.config import Settings
from mamoru.db import Database
from mamoru.hotline.automation import checker_from_settings
from mamoru.hotline.checker import RemovalChecker
from mamoru.hotline.mail import Mailer, mailer_from_settings
from mamoru.hotline.ratelimit import DatabaseRateLimiter, MemoryRateLimiter, RateLimiter
from mamoru.hotline.settings import HotlineSettings
from mamoru.hotline.tracing import DnsResolver, Resolver


@dataclass
class HotlineRuntime:
    settings: HotlineSettings
    mailer: Mailer
    resolver: Resolver
    checker: RemovalChecker
    limiter: RateLimiter
    secret: str


def build(settings: Settings, database: Database) -> HotlineRuntime:
    hs = HotlineSettings.from_settings(settings)
    limiter: RateLimiter = DatabaseRateLimiter(database) if hs.rate_store == "database" else MemoryRateLimiter()
    return HotlineRuntime(settings=hs, mailer=mailer_from_settings(hs), resolver=DnsResolver(hs.dns_server),
                          checker=checker_from_settings(hs), limiter=limiter, secret=settings.resolved_secret_key())


def for_app(state: Any) -> HotlineRuntime:
    rt = getattr(state, "hotline_runtime", None)
    if rt is None:
        rt = build(state.settings, state.database)
        state.hotline_runtime = rt
    return rt
