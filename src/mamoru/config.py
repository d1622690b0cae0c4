"""One typed Settings object, built from MAMORU_* environment variables.

Settings are read when create_app() or the CLI starts, never at import time, and are passed down
explicitly. Each process role gets only the settings it needs: the public portal never receives
credentials for hotline cases, hash banks or the blocking list (see docs/security.md).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

DEFAULT_VAR_DIR = Path("var")

# Every setting, its environment variable and what it is for. docs/settings.md is checked
# against this table by a test, so a new setting without documentation fails.
SETTINGS_DOC: dict[str, str] = {
    "MAMORU_DATABASE_URL": "SQLAlchemy URL of the main database (default: SQLite file var/mamoru.db).",
    "MAMORU_SECRET_KEY": "Secret used to sign session cookies (default: generated into var/secret.key).",
    "MAMORU_VAR_DIR": "Folder for local state: SQLite file, generated keys, snapshots (default: ./var).",
    "MAMORU_AUDIT_KEY": "Path of the Ed25519 private key that signs audit checkpoints; keep it outside the database (default: var/keys/audit.key).",
    "MAMORU_ADMIN_PASSWORD": "Password for the first administrator created by `make run` (otherwise one is generated and printed once).",
    "MAMORU_NEW_PASSWORD": "Password for `mamoru user add` (otherwise prompted).",
    "MAMORU_SESSION_HOURS": "Hours a web session lasts without activity (default 8).",
    "MAMORU_SECURE_COOKIES": "1 to mark cookies Secure (set when served over TLS; default 0).",
    "MAMORU_ROLE": "Process role: all, portal, office, hotline, intake (the public report form alone, writing to the hotline's inbox), matcher, feed (default all).",
    "MAMORU_DEFAULT_LANG": "Language when the browser states none: ja or en (default ja).",
    "MAMORU_LOGIN_ATTEMPTS": "Failed logins per username within 15 minutes before further attempts are refused (default 5).",
    "MAMORU_BLOCKLIST_KEY": "Path of the Ed25519 private key that signs published blocking lists; keep it outside the database (default: var/keys/blocklist.key; `mamoru blocklist key rotate` retires it beside it).",
    "MAMORU_BLOCKLIST_SPLASH": "DNS name of a notice page that RPZ entries point to (CNAME); empty: blocked names answer NXDOMAIN (default).",
    "MAMORU_BLOCKLIST_REVIEW_DAYS": "Days until a new blocking list entry is due for re-verification (default 180).",
    "MAMORU_BLOCKLIST_APPEAL_CONTACT": "Where site owners send an appeal against a blocking list entry (an e-mail address or web address), shown on the public notice page /blocked (empty: the page names the hotline without an address).",
    "MAMORU_MAIL_BACKEND": "How mail is sent: smtp (production), console (printed to standard error; the default) or memory (tests).",
    "MAMORU_MAIL_FROM": "Sender address of mail mamoru sends (default mamoru@localhost).",
    "MAMORU_SMTP_HOST": "SMTP server for the smtp mail backend (default localhost).",
    "MAMORU_SMTP_PORT": "Port of the SMTP server (default 25).",
    "MAMORU_SMTP_USER": "SMTP login name (empty: no login).",
    "MAMORU_SMTP_PASSWORD": "SMTP password.",
    "MAMORU_SMTP_STARTTLS": "1 to use STARTTLS with the SMTP server (default 0).",
    "MAMORU_HOTLINE_SLA_HOURS": "Hotline: hours within which a report should be assessed (default 24).",
    "MAMORU_HOTLINE_DANGER_SLA_HOURS": "Hotline: hours to assess a report saying a child may be in immediate danger (default 1).",
    "MAMORU_HOTLINE_RESEND_HOURS": "Hotline: hours between re-sends of a deletion request until removal is verified (default 24).",
    "MAMORU_HOTLINE_ESCALATE_DAYS": "Hotline: days after the first deletion request before the case is escalated (default 7).",
    "MAMORU_HOTLINE_CHECK_HOURS": "Hotline: hours between removal checks of an open URL (removed URLs: four times that, for 90 days; default 6).",
    "MAMORU_HOTLINE_CHECK_TIMEOUT": "Hotline: overall seconds one removal check may take, redirects included (default 10).",
    "MAMORU_HOTLINE_CHECK_MAX_REDIRECTS": "Hotline: redirects a removal check follows (default 5).",
    "MAMORU_HOTLINE_CHECK_PROXY": "Hotline: outbound proxy URL for removal checks (empty: direct, connecting to the address it checked).",
    "MAMORU_HOTLINE_CHECK_ALLOW_LOOPBACK_FOR_TESTS": "Test only: 1 lets removal checks reach loopback addresses (a local test server). Never set in production.",
    "MAMORU_HOTLINE_DNS_SERVER": "Hotline: DNS server (ip or ip:port) for tracing and removal checks (empty: the system's resolvers).",
    "MAMORU_HOTLINE_POLICE_EMAIL": "Hotline: police contact alerted at once when a report says a child may be in immediate danger.",
    "MAMORU_HOTLINE_ESCALATION_EMAIL": "Hotline: who is told when a deletion request is escalated.",
    "MAMORU_HOTLINE_PUBLIC_RATE": "Hotline: public reports allowed per client as N/SECONDS (default 10/600).",
    "MAMORU_HOTLINE_FLAGGER_RATE": "Hotline: reports allowed per trusted-flagger token as N/SECONDS (default 600/60).",
    "MAMORU_HOTLINE_RATE_STORE": "Hotline: where rate-limit counters live: memory (one process), database (shared, short expiry) or redis (default memory; redis when MAMORU_HOTLINE_REDIS_URL is set).",
    "MAMORU_HOTLINE_SMTP_SSL": "Hotline: 1 to speak SMTP over implicit TLS (port 465) instead of plain or STARTTLS.",
    "MAMORU_HOTLINE_CONTACT_KEY": "Hotline: path of the key file that seals and opens reporters' contact details in the database (X25519 private keys for sealed boxes, `x25519:<base64>`, and AES-256 keys from before them; one a line, the first seals, all open); give it to hotline processes only, keep it outside the database and its backups (default: var/keys/contact.key, created on first use).",
    "MAMORU_HOTLINE_CONTACT_PUBLIC_KEY": "Intake: path of the hotline's public contact key (`x25519-public:<base64>`, written by `mamoru hotline contact-key --public-out FILE`), with which the public intake process seals reporters' contacts; it opens nothing (default: var/keys/contact.pub).",
    "MAMORU_HOTLINE_CONTACT_RETENTION_DAYS": "Hotline: days a reporter's contact details are kept after the report arrives; the hotline worker then clears them and audits how many (default 365).",
    "MAMORU_MATCH_SNAPSHOT_DIR": "Matching: folder of index snapshot files that matcher processes memory-map (default: var/matching).",
    "MAMORU_MATCH_POLL_SECONDS": "Matching: seconds between a matcher's checks for bank changes and newer snapshots (default 2).",
    "MAMORU_MATCH_RATE": "Matching: match requests allowed per API token as N/SECONDS (default 600/60), counted per process unless MAMORU_MATCH_REDIS_URL is set.",
    "MAMORU_MATCH_REDIS_URL": "Matching: Redis shared by all matcher processes for the per-token rate limit, redis://host[:port][/db] (empty: each process counts on its own; while Redis does not answer, match requests are refused with 503).",
    "MAMORU_HOTLINE_REDIS_URL": "Hotline: Redis for shared rate-limit counters, redis://host[:port][/db] (keys expire on their own).",
}


def _env_bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Runtime configuration. Build with Settings.from_env(); tests build it directly."""

    var_dir: Path = DEFAULT_VAR_DIR
    database_url: str = ""
    secret_key: str = ""
    audit_key_path: Path | None = None
    session_hours: float = 8.0
    secure_cookies: bool = False
    role: str = "all"
    default_lang: str = "ja"
    login_attempts: int = 5
    mail_backend: str = "console"
    mail_from: str = "mamoru@localhost"
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        var_dir = Path(env.get("MAMORU_VAR_DIR") or DEFAULT_VAR_DIR)
        db_url = env.get("MAMORU_DATABASE_URL") or f"sqlite:///{(var_dir / 'mamoru.db').as_posix()}"
        audit_key = env.get("MAMORU_AUDIT_KEY")
        return cls(
            var_dir=var_dir,
            database_url=db_url,
            secret_key=env.get("MAMORU_SECRET_KEY", ""),
            audit_key_path=Path(audit_key) if audit_key else var_dir / "keys" / "audit.key",
            session_hours=float(env.get("MAMORU_SESSION_HOURS") or 8),
            secure_cookies=_env_bool(env.get("MAMORU_SECURE_COOKIES"), False),
            role=(env.get("MAMORU_ROLE") or "all").lower(),
            default_lang=(env.get("MAMORU_DEFAULT_LANG") or "ja").lower(),
            login_attempts=int(env.get("MAMORU_LOGIN_ATTEMPTS") or 5),
            mail_backend=(env.get("MAMORU_MAIL_BACKEND") or "console").lower(),
            mail_from=env.get("MAMORU_MAIL_FROM") or "mamoru@localhost",
            smtp_host=env.get("MAMORU_SMTP_HOST") or "localhost",
            smtp_port=int(env.get("MAMORU_SMTP_PORT") or 25),
            smtp_user=env.get("MAMORU_SMTP_USER") or "",
            smtp_password=env.get("MAMORU_SMTP_PASSWORD") or "",
            smtp_starttls=_env_bool(env.get("MAMORU_SMTP_STARTTLS"), False),
            extra={k: v for k, v in env.items() if k.startswith("MAMORU_")},
        )

    def resolved_secret_key(self) -> str:
        """The cookie-signing secret: from settings, else a generated one kept in var_dir."""
        if self.secret_key:
            return self.secret_key
        path = self.var_dir / "secret.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(os.urandom(32).hex())
            path.chmod(0o600)
        return path.read_text().strip()

    def describe(self) -> dict[str, str]:
        return {f.name: str(getattr(self, f.name)) for f in fields(self) if f.name not in {"secret_key", "extra", "smtp_password"}}
