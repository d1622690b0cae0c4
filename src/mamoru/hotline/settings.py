"""The hotline's settings: every MAMORU_HOTLINE_* variable, declared and parsed here alone.

A hotline or intake process receives them as `settings.domain(HotlineSettings)`. Mail goes through
the shared mail settings of the core Settings (MAMORU_MAIL_BACKEND, MAMORU_SMTP_HOST and so on),
taken from it by from_core(); only implicit TLS (MAMORU_HOTLINE_SMTP_SSL) is the hotline's own.
docs/settings.md is generated from these declarations.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from mamoru.config import FLAG, INTEGER, NUMBER, PATH, POSITIVE, RATE, choice, from_core, setting
from mamoru.hotline.workflow import ServiceLevels


@dataclass(frozen=True)
class HotlineSettings:
    domain_name: ClassVar[str] = "the hotline"

    assess_hours: float = setting("MAMORU_HOTLINE_SLA_HOURS", "Hours within which a report should be assessed.",
                                  24.0, parse=NUMBER)
    danger_assess_hours: float = setting("MAMORU_HOTLINE_DANGER_SLA_HOURS", "Hours to assess a report saying a "
                                         "child may be in immediate danger.", 1.0, parse=NUMBER)
    resend_hours: float = setting("MAMORU_HOTLINE_RESEND_HOURS", "Hours between re-sends of a deletion request until "
                                  "removal is verified.", 24.0, parse=NUMBER)
    escalate_days: float = setting("MAMORU_HOTLINE_ESCALATE_DAYS", "Days after the first deletion request before "
                                   "the case is escalated.", 7.0, parse=NUMBER)
    check_hours: float = setting("MAMORU_HOTLINE_CHECK_HOURS", "Hours between removal checks of an open URL "
                                 "(removed URLs: four times that, for 90 days).", 6.0, parse=NUMBER)
    check_timeout: float = setting("MAMORU_HOTLINE_CHECK_TIMEOUT", "Overall seconds one removal check may take, "
                                   "redirects included.", 10.0, parse=NUMBER)
    check_max_redirects: int = setting("MAMORU_HOTLINE_CHECK_MAX_REDIRECTS", "Redirects a removal check follows.",
                                       5, parse=INTEGER)
    check_proxy: str = setting("MAMORU_HOTLINE_CHECK_PROXY", "Outbound proxy URL for removal checks (empty: direct, "
                               "connecting to the address it checked).")
    # Test-only: lets removal checks reach loopback so tests can use a local HTTP server.
    check_allow_loopback_for_tests: bool = setting(
        "MAMORU_HOTLINE_CHECK_ALLOW_LOOPBACK_FOR_TESTS", "Test only: 1 lets removal checks reach loopback addresses "
        "(a local test server). Never set in production.", False, parse=FLAG)
    dns_server: str = setting("MAMORU_HOTLINE_DNS_SERVER", "DNS server (ip or ip:port) for tracing and removal "
                              "checks (empty: the system's resolvers).")
    police_email: str = setting("MAMORU_HOTLINE_POLICE_EMAIL", "Police contact alerted at once when a report says a "
                                "child may be in immediate danger.")
    escalation_email: str = setting("MAMORU_HOTLINE_ESCALATION_EMAIL", "Who is told when a deletion request is "
                                    "escalated.")
    sender_name: str = "mamoru hotline"  # not a setting: the name on the hotline's mail
    public_rate: tuple[int, int] = setting("MAMORU_HOTLINE_PUBLIC_RATE", "Public reports allowed per client as "
                                           "N/SECONDS.", (10, 600), parse=RATE)
    status_rate: tuple[int, int] = setting("MAMORU_HOTLINE_STATUS_RATE", "Receipt lookups (the reporters' status "
                                           "page and API) allowed per client as N/SECONDS.", (20, 600), parse=RATE)
    flagger_rate: tuple[int, int] = setting("MAMORU_HOTLINE_FLAGGER_RATE", "Reports allowed per trusted-flagger "
                                            "token as N/SECONDS.", (600, 60), parse=RATE)
    redis_url: str = setting("MAMORU_HOTLINE_REDIS_URL", "Redis for shared rate-limit counters, "
                             "redis://host[:port][/db] (keys expire on their own).")
    rate_store: str = setting(
        "MAMORU_HOTLINE_RATE_STORE", "Where rate-limit counters live: memory (one process), database (shared, short "
        "expiry) or redis.", "memory", parse=choice("memory", "database", "redis"),
        default_from=lambda v: "redis" if v["redis_url"] else "memory",
        default_doc="memory; redis when MAMORU_HOTLINE_REDIS_URL is set")
    mail_backend: str = from_core("outbox")  # outbox, smtp, console, memory (mamoru.mail)
    mail_outbox: Path = from_core(Path("var/outbox"))
    mail_from: str = from_core("mamoru@localhost")
    smtp_host: str = from_core("localhost")
    smtp_port: int = from_core(25)
    smtp_user: str = from_core("")
    smtp_password: str = from_core("")
    smtp_starttls: bool = from_core(False)
    smtp_ssl: bool = setting("MAMORU_HOTLINE_SMTP_SSL", "1 to speak SMTP over implicit TLS (port 465) instead of "
                             "plain or STARTTLS.", False, parse=FLAG)
    contact_key_path: Path | None = setting(  # None: tests hand the runtime a cipher of their own
        "MAMORU_HOTLINE_CONTACT_KEY", "Path of the key file that seals and opens reporters' contact details in the "
        "database (X25519 private keys for sealed boxes, `x25519:<base64>`, and AES-256 keys from before them; one a "
        "line, the first seals, all open); give it to hotline processes only, keep it outside the database and its "
        "backups.", None, parse=PATH, default_from=lambda v: v["core"].var_dir / "keys" / "contact.key",
        default_doc="var/keys/contact.key, created on first use")
    contact_public_key_path: Path | None = setting(  # the intake process seals with this public key alone
        "MAMORU_HOTLINE_CONTACT_PUBLIC_KEY", "Intake: path of the hotline's public contact key "
        "(`x25519-public:<base64>`, written by `mamoru hotline contact-key --public-out FILE`), with which the public "
        "intake process seals reporters' contacts; it opens nothing.", None, parse=PATH,
        default_from=lambda v: v["core"].var_dir / "keys" / "contact.pub", default_doc="var/keys/contact.pub")
    contact_retention_days: float = setting(
        "MAMORU_HOTLINE_CONTACT_RETENTION_DAYS", "Days a reporter's contact details are kept after the report "
        "arrives; the hotline worker then clears them and audits how many.", 365.0, parse=POSITIVE)

    @property
    def levels(self) -> ServiceLevels:
        return ServiceLevels(assess_hours=self.assess_hours, danger_assess_hours=self.danger_assess_hours,
                             resend_hours=self.resend_hours, escalate_days=self.escalate_days,
                             check_hours=self.check_hours)
