"""Typed settings, declared once and built once from MAMORU_* environment variables.

Each setting is a dataclass field declared with `setting(env=..., doc=..., default=..., parse=...)`;
`from_env(cls, env)` builds the frozen dataclass, parsing every value once and naming the variable
and the expected form when one is wrong. The core `Settings` holds what every process needs; each
domain declares its own class in its own package (hotline/settings.py, matching/settings.py,
blocklist/settings.py) and a process receives, in `Settings.domains`, only the classes of the
domains its role serves: the public portal never holds the hotline's contact key path or the
matcher's Redis (see docs/security.md). docs/settings.md is generated from these declarations
(mamoru.devtools.settingsdoc). Settings are built when create_app() or the CLI starts, never at
import time, and are passed down explicitly. This module knows no domain.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
DEFAULT_VAR_DIR = Path("var")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Parser:
    """Turns one variable's text into its value; `expected` says the accepted form in errors."""

    convert: Callable[[str], Any]
    expected: str

    def __call__(self, text: str) -> Any:
        return self.convert(text)


def _flag(text: str) -> bool:
    value = text.strip().lower()
    if value not in _TRUE | _FALSE:
        raise ValueError(value)
    return value in _TRUE


def _rate(text: str) -> tuple[int, int]:
    n, _, seconds = text.strip().partition("/")
    limit, window = int(n), int(seconds or 60)
    if limit < 0 or window <= 0:
        raise ValueError(text)
    return limit, window


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise ValueError(text)
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise ValueError(text)
    return value


def choice(*options: str) -> Parser:
    """One of `options`, case-insensitive."""
    def convert(text: str) -> str:
        value = text.strip().lower()
        if value not in options:
            raise ValueError(value)
        return value
    return Parser(convert, "one of " + ", ".join(options))


TEXT = Parser(str, "text")
LOWER = Parser(lambda t: t.strip().lower(), "a word")
INTEGER = Parser(int, "a whole number")
POSITIVE_INTEGER = Parser(_positive_int, "a whole number above 0")
NUMBER = Parser(float, "a number")
POSITIVE = Parser(_positive, "a positive number")
FLAG = Parser(_flag, "1 or 0 (also true/false, yes/no, on/off)")
PATH = Parser(Path, "a file or folder path")
RATE = Parser(_rate, "N/SECONDS, e.g. 600/60")


def _networks(text: str) -> tuple[IPv4Network | IPv6Network, ...]:
    return tuple(ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip())


def _base_url(text: str) -> str:
    from urllib.parse import urlsplit

    text = text.strip().rstrip("/")
    if not text:
        return ""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query or parts.fragment:
        raise ValueError(f"{text!r} is not http(s)://host[:port]")
    return text


BASE_URL = Parser(_base_url, "http(s)://host[:port], nothing after it")
NETWORKS = Parser(_networks, "addresses or networks separated by commas, e.g. 127.0.0.1,10.0.0.0/8")


def setting(env: str, doc: str, default: Any = "", *, parse: Parser = TEXT,
            default_from: Callable[[Mapping[str, Any]], Any] | None = None,
            default_doc: str | None = None) -> Any:
    """A field set from the variable `env`; unset or empty gives `default`, or `default_from(values)`
    where values holds the fields declared above it and the context given to from_env (e.g. `core`)."""
    meta = {"env": env, "doc": doc, "parse": parse, "default_from": default_from, "default_doc": default_doc}
    if isinstance(default, (list, dict, set)):
        raise TypeError("settings defaults are immutable values")
    return field(default=default, metadata=meta)


def from_core(default: Any) -> Any:
    """A field whose value is the core Settings' attribute of the same name (from_env's `core`),
    so a domain uses the shared value (the mail server, say) without declaring it again."""
    return field(default=default, metadata={"from_core": True})


def given(env: str) -> Any:
    """A field that is True when the variable `env` is set (not empty): lets a domain tell a value
    configured on purpose from its default (a configured key file must exist; a default one is made)."""
    return field(default=False, metadata={"given": env})


def declared(cls: type) -> list[dataclasses.Field[Any]]:
    """The fields of `cls` that are read from an environment variable."""
    return [f for f in fields(cls) if "env" in f.metadata]


def describe_default(f: dataclasses.Field[Any]) -> str:
    """The default of a declared field as docs/settings.md shows it."""
    if f.metadata["default_doc"] is not None:
        return str(f.metadata["default_doc"])
    value = f.default
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, tuple):
        return "/".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "(empty)" if value in ("", None) else str(value)


def _value(f: dataclasses.Field[Any], env: Mapping[str, str], values: Mapping[str, Any]) -> Any:
    name = f.metadata["env"]
    text = env.get(name)
    if text is None or text.strip() == "":
        maker = f.metadata["default_from"]
        return maker(values) if maker is not None else f.default
    parse: Parser = f.metadata["parse"]
    try:
        return parse(text)
    except (ValueError, TypeError):
        raise ValueError(f"{name}={text!r} is not valid: expected {parse.expected}") from None


def from_env(cls: type[T], env: Mapping[str, str] | None = None, **context: Any) -> T:
    """Build the settings dataclass `cls` from `env` (default: os.environ) and its declarations."""
    env = os.environ if env is None else env
    values: dict[str, Any] = dict(context)
    kwargs: dict[str, Any] = {}
    for f in fields(cls):  # type: ignore[arg-type]
        if "env" in f.metadata:
            kwargs[f.name] = values[f.name] = _value(f, env, values)
        elif f.metadata.get("from_core"):
            kwargs[f.name] = values[f.name] = getattr(context["core"], f.name)
        elif "given" in f.metadata:
            kwargs[f.name] = values[f.name] = bool((env.get(f.metadata["given"]) or "").strip())
    return cls(**kwargs)


@dataclass(frozen=True)
class Settings:
    """What every process needs. Build with Settings.from_env(); tests use make_settings()."""

    var_dir: Path = setting("MAMORU_VAR_DIR", "Folder for local state: SQLite file, generated keys, snapshots.",
                            DEFAULT_VAR_DIR, parse=PATH, default_doc="./var")
    database_url: str = setting(
        "MAMORU_DATABASE_URL", "SQLAlchemy URL of the main database.",
        default_from=lambda v: f"sqlite:///{(v['var_dir'] / 'mamoru.db').as_posix()}",
        default_doc="SQLite file var/mamoru.db")
    secret_key: str = setting("MAMORU_SECRET_KEY", "Secret used to sign session cookies.",
                              default_doc="generated into var/secret.key")
    audit_key_path: Path | None = setting(
        "MAMORU_AUDIT_KEY", "Path of the Ed25519 private key that signs audit checkpoints; keep it outside the database.",
        None, parse=PATH, default_from=lambda v: v["var_dir"] / "keys" / "audit.key", default_doc="var/keys/audit.key")
    session_hours: float = setting("MAMORU_SESSION_HOURS", "Hours a web session lasts without activity.", 8.0,
                                   parse=NUMBER)
    secure_cookies: bool = setting("MAMORU_SECURE_COOKIES", "1 to mark cookies Secure (set when served over TLS).",
                                   False, parse=FLAG)
    trusted_proxies: tuple[IPv4Network | IPv6Network, ...] = setting(
        "MAMORU_TRUSTED_PROXIES", "Addresses or networks of the reverse proxies in front of this process, separated by "
        "commas (e.g. 127.0.0.1,10.0.0.0/8): only a request from one of them has its X-Forwarded-For read, whose "
        "right-most address that is not itself a trusted proxy keys the rate limits (never stored or logged). Empty: "
        "X-Forwarded-For is ignored and the connection's address is the client's.", (), parse=NETWORKS,
        default_doc="(none)")
    public_url: str = setting("MAMORU_PUBLIC_URL", "The public listener's address as people reach it (e.g. "
                              "https://mamoru.example.jp), for links to it from staff pages (the report form, the "
                              "blocking list's feed). Empty: the same address as the page.", "", parse=BASE_URL)
    staff_url: str = setting("MAMORU_STAFF_URL", "The staff listener's address as staff reach it (e.g. "
                             "https://staff.mamoru.example.jp), for the public pages' Log in link. Empty: the same "
                             "address as the page.", "", parse=BASE_URL)
    max_requests: int = setting("MAMORU_MAX_REQUESTS", "Requests one server process works on at once (on "
                                "PostgreSQL; the database pool holds as many connections, plus 8).", 32,
                                parse=POSITIVE_INTEGER)
    request_queue: int = setting("MAMORU_REQUEST_QUEUE", "Requests that may wait for one of those places; beyond "
                                 "them the answer is 503 with Retry-After at once.", 512, parse=INTEGER)
    queue_seconds: float = setting("MAMORU_QUEUE_SECONDS", "Seconds a request waits for a place before it is "
                                   "answered 503 with Retry-After.", 2.0, parse=POSITIVE)
    body_seconds: float = setting("MAMORU_BODY_SECONDS", "Seconds a client has to send a whole request body (else "
                                  "408); it is read before the request takes a place or a database connection.",
                                  10.0, parse=POSITIVE)
    role: str = setting("MAMORU_ROLE", "Process role: all, portal, office, hotline, intake (the public report form "
                        "alone, writing to the hotline's inbox), matcher, feed.", "all", parse=LOWER)
    default_lang: str = setting("MAMORU_DEFAULT_LANG", "Language when the browser states none: ja or en.", "ja",
                                parse=choice("ja", "en"))
    login_attempts: int = setting("MAMORU_LOGIN_ATTEMPTS", "Failed logins per username (and per client) within 15 "
                                  "minutes answered at once; each further wrong password is answered after a "
                                  "delay, 0.5 s doubling up to 8 s. The right password is never refused.", 5,
                                  parse=INTEGER)
    mail_backend: str = setting("MAMORU_MAIL_BACKEND", "How mail is sent: outbox (written to MAMORU_MAIL_OUTBOX, "
                                "read by the administrator at /admin/outbox; nothing leaves the machine), smtp "
                                "(production), console (printed to standard error) or memory (tests).", "outbox",
                                parse=choice("outbox", "smtp", "console", "memory"))
    mail_outbox: Path = setting("MAMORU_MAIL_OUTBOX", "Folder of the outbox mail backend: one .eml file a message.",
                                parse=PATH, default_from=lambda v: v["var_dir"] / "outbox", default_doc="var/outbox")
    mail_from: str = setting("MAMORU_MAIL_FROM", "Sender address of mail mamoru sends.", "mamoru@localhost")
    smtp_host: str = setting("MAMORU_SMTP_HOST", "SMTP server for the smtp mail backend.", "localhost")
    smtp_port: int = setting("MAMORU_SMTP_PORT", "Port of the SMTP server.", 25, parse=INTEGER)
    smtp_user: str = setting("MAMORU_SMTP_USER", "SMTP login name (empty: no login).")
    smtp_password: str = setting("MAMORU_SMTP_PASSWORD", "SMTP password.")
    smtp_starttls: bool = setting("MAMORU_SMTP_STARTTLS", "1 to use STARTTLS with the SMTP server.", False,
                                  parse=FLAG)
    # The settings of the domains this process serves, by class; see domain().
    domains: Mapping[type, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, domain_classes: tuple[type, ...] = ()) -> Settings:
        """The core settings, then each of `domain_classes` from the same environment (the
        composition root passes the classes of the domains the process role serves)."""
        core = from_env(cls, env)
        return dataclasses.replace(core, domains={c: from_env(c, env, core=core) for c in domain_classes})

    def domain(self, cls: type[T]) -> T:
        """This process's settings of one domain; LookupError when its role does not serve it."""
        found = self.domains.get(cls)
        if found is None:
            what = getattr(cls, "domain_name", cls.__name__)
            raise LookupError(f"MAMORU_ROLE={self.role} does not serve {what}")
        return found  # type: ignore[no-any-return]

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
        hidden = {"secret_key", "domains", "smtp_password"}
        return {f.name: str(getattr(self, f.name)) for f in fields(self) if f.name not in hidden}
