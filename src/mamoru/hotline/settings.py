"""The hotline's own settings, read from the hotline variables (MAMORU_HOTLINE_SLA_HOURS and the
others listed in config.SETTINGS_DOC) carried in Settings.extra.

Mail goes through the shared SMTP settings (MAMORU_SMTP_HOST and so on, MAMORU_MAIL_FROM). Documented in
config.SETTINGS_DOC and docs/settings.md like every other setting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mamoru.config import Settings
from mamoru.hotline.workflow import ServiceLevels


def _float(extra: dict[str, str], name: str, default: float) -> float:
    value = extra.get(name)
    return float(value) if value not in (None, "") else default


def _bool(extra: dict[str, str], name: str) -> bool:
    return (extra.get(name) or "").strip().lower() in {"1", "true", "yes", "on"}


def _rate(text: str | None, default: tuple[int, int]) -> tuple[int, int]:
    """"N/S": N requests per S seconds."""
    if not text:
        return default
    n, _, s = text.partition("/")
    return int(n), int(s or 60)


def _retention(extra: dict[str, str]) -> float:
    days = _float(extra, "MAMORU_HOTLINE_CONTACT_RETENTION_DAYS", 365.0)
    if days <= 0:
        raise ValueError("MAMORU_HOTLINE_CONTACT_RETENTION_DAYS must be a positive number of days")
    return days


@dataclass(frozen=True)
class HotlineSettings:
    levels: ServiceLevels = field(default_factory=ServiceLevels)
    check_timeout: float = 10.0
    check_max_redirects: int = 5
    check_proxy: str = ""
    # Test-only: lets removal checks reach loopback so tests can use a local HTTP server.
    check_allow_loopback_for_tests: bool = False
    dns_server: str = ""  # ip[:port] of the resolver dnspython asks; empty: the system's
    police_email: str = ""
    escalation_email: str = ""
    sender_name: str = "mamoru hotline"
    public_rate: tuple[int, int] = (10, 600)
    flagger_rate: tuple[int, int] = (600, 60)
    rate_store: str = "memory"  # memory, database or redis
    redis_url: str = ""
    mail_backend: str = "console"  # smtp, console, memory
    mail_from: str = "mamoru@localhost"
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    contact_key_path: Path | None = None  # None: tests hand the runtime a cipher of their own
    contact_public_key_path: Path | None = None  # the intake process seals with this public key alone
    contact_retention_days: float = 365.0

    @classmethod
    def from_settings(cls, settings: Settings) -> HotlineSettings:
        x = settings.extra
        levels = ServiceLevels(
            assess_hours=_float(x, "MAMORU_HOTLINE_SLA_HOURS", 24.0),
            danger_assess_hours=_float(x, "MAMORU_HOTLINE_DANGER_SLA_HOURS", 1.0),
            resend_hours=_float(x, "MAMORU_HOTLINE_RESEND_HOURS", 24.0),
            escalate_days=_float(x, "MAMORU_HOTLINE_ESCALATE_DAYS", 7.0),
            check_hours=_float(x, "MAMORU_HOTLINE_CHECK_HOURS", 6.0),
        )
        return cls(
            levels=levels,
            check_timeout=_float(x, "MAMORU_HOTLINE_CHECK_TIMEOUT", 10.0),
            check_max_redirects=int(x.get("MAMORU_HOTLINE_CHECK_MAX_REDIRECTS") or 5),
            check_proxy=x.get("MAMORU_HOTLINE_CHECK_PROXY") or "",
            check_allow_loopback_for_tests=_bool(x, "MAMORU_HOTLINE_CHECK_ALLOW_LOOPBACK_FOR_TESTS"),
            dns_server=x.get("MAMORU_HOTLINE_DNS_SERVER") or "",
            police_email=x.get("MAMORU_HOTLINE_POLICE_EMAIL") or "",
            escalation_email=x.get("MAMORU_HOTLINE_ESCALATION_EMAIL") or "",
            public_rate=_rate(x.get("MAMORU_HOTLINE_PUBLIC_RATE"), (10, 600)),
            flagger_rate=_rate(x.get("MAMORU_HOTLINE_FLAGGER_RATE"), (600, 60)),
            rate_store=(x.get("MAMORU_HOTLINE_RATE_STORE") or ("redis" if x.get("MAMORU_HOTLINE_REDIS_URL") else "memory")).lower(),
            redis_url=x.get("MAMORU_HOTLINE_REDIS_URL") or "",
            mail_backend=settings.mail_backend,
            mail_from=settings.mail_from,
            smtp_host=settings.smtp_host,
            smtp_port=settings.smtp_port,
            smtp_user=settings.smtp_user,
            smtp_password=settings.smtp_password,
            smtp_starttls=settings.smtp_starttls,
            smtp_ssl=_bool(x, "MAMORU_HOTLINE_SMTP_SSL"),
            contact_key_path=Path(x.get("MAMORU_HOTLINE_CONTACT_KEY") or settings.var_dir / "keys" / "contact.key"),
            contact_public_key_path=Path(x.get("MAMORU_HOTLINE_CONTACT_PUBLIC_KEY")
                                         or settings.var_dir / "keys" / "contact.pub"),
            contact_retention_days=_retention(x),
        )
