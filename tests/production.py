"""The production layout for tests: `scripts/run_production.py` started on a fresh PostgreSQL database
from the files under deploy/ (Procfile, nginx/mamoru.conf), with an SMTP sink for the mail.

    with production_layout(tmp_path) as layout:
        layout.add_user("analyst1", "analyst")
        token = layout.token("platform1", "match")
        httpx.get(layout.public + "/portal")

Every process of deploy/Procfile runs as its own process with its own database user (a random role
prefix, dropped afterwards), behind a real nginx: `public` and `staff` are its two listeners. The
workers and the office and hotline processes send mail over SMTP to `smtp` (aiosmtpd, in a thread of
the test process). Made for end-to-end tests and browser journeys: tests/e2e/conftest.py starts one
for the whole session (it takes about 15 s to start). Without MAMORU_TEST_POSTGRES_URL or nginx the test is skipped, and fails
when CI is set (.ci/run installs both).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.conftest import PG_URL, REPO, TEST_PASSWORD, drop_role_users, fresh_postgres_database

LAUNCHER = REPO / "scripts" / "run_production.py"
DEPLOY = REPO / "deploy"
SBIN = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
ADMIN_PASSWORD = "production-admin-password-1"


def needed(what: str) -> None:
    """Skip a test for a missing server or tool; in CI (CI set) fail instead."""
    if os.environ.get("CI"):
        pytest.fail(f"{what}; CI must provide it (.ci/run)")
    pytest.skip(what)


def nginx_binary() -> str:
    found = shutil.which("nginx", path=SBIN)
    if found is None:
        needed("nginx (Debian package nginx) is not installed")
    assert found
    return found


@dataclass
class SmtpSink:
    """An SMTP server on loopback that keeps every message (aiosmtpd, in a thread)."""

    host: str = "127.0.0.1"
    port: int = 0
    messages: list[Message] = field(default_factory=list)
    controller: Any = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        sink = self

        class Keep:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
                sink.messages.append(message_from_bytes(envelope.content))
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Keep(), hostname=self.host, port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()

    def wait_for(self, to: str, about: str = "", seconds: float = 30) -> Message:
        """The first message to `to` whose text names `about` (the layout is shared: other tests'
        mail to the same address arrives here too)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for m in list(self.messages):
                if to in str(m.get("To", "")) and about in _text(m):
                    return m
            time.sleep(0.2)
        raise AssertionError(f"no mail to {to} about {about!r} within {seconds:g} s; "
                             f"got {[m.get('To') for m in self.messages]}")


def _text(message: Message) -> str:
    """A message's headers and decoded bodies (a body in base64 or quoted-printable names nothing)."""
    parts = [str(value) for value in message.values()]
    for part in message.walk():
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            parts.append(payload.decode(part.get_content_charset() or "utf-8", "replace"))
    return "\n".join(parts)


@dataclass
class ProductionLayout:
    public: str
    staff: str
    owner_url: str
    prefix: str
    run_dir: Path
    processes: dict[str, dict[str, Any]]
    smtp: SmtpSink
    owner_env: dict[str, str]
    admin_password: str = ADMIN_PASSWORD

    def cli(self, *args: str, input: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """`mamoru ARGS` as the database's owner (what an operator runs); fails on a non-zero exit."""
        r = subprocess.run([sys.executable, "-m", "mamoru.cli", *args], env={**self.owner_env, **(env or {})},
                           input=input, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, f"mamoru {' '.join(args)}: {r.stderr}{r.stdout}"
        return r

    def add_user(self, username: str, role: str, password: str = TEST_PASSWORD, agency: str | None = None,
                 email: str = "", lang: str = "ja") -> None:
        self.cli("user", "add", username, "--role", role, *(["--agency", agency] if agency else []),
                 "--email", email, "--lang", lang, env={"MAMORU_NEW_PASSWORD": password})

    def token(self, username: str, scopes: str) -> str:
        return self.cli("token", "create", username, "--scopes", scopes).stdout.strip()

    def upstream(self, name: str) -> str:
        """The address nginx sends process `name`'s requests to, as its log shows it."""
        return f"127.0.0.1:{self.processes[name]['port']}"

    def access_log(self, listener: str = "public") -> list[str]:
        return (self.run_dir / "nginx" / "logs" / f"mamoru-{listener}.log").read_text().splitlines()

    def answered_by(self, response: httpx.Response, listener: str = "public") -> str:
        """Which address nginx sent this request to ("-": nginx answered itself), from its log line
        (found by the X-Request-Id nginx sends back)."""
        request_id = response.headers["x-request-id"]
        deadline = time.monotonic() + 5  # nginx writes the line once the answer is sent: a moment later
        while True:
            found = [line for line in self.access_log(listener) if line.endswith(f" id={request_id}")]
            if found or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert found, f"{response.request.method} {response.request.url} is not in the {listener} log"
        upstream = re.search(r" upstream=(\S+) ", found[0])
        assert upstream, found[0]
        return upstream.group(1)

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def production_layout(run_dir: Path, settings: dict[str, str] | None = None,
                      interval: float = 2) -> Iterator[ProductionLayout]:
    """Start the layout on a fresh database; stop it, drop its database and role users afterwards.
    `settings`: MAMORU_* variables for the processes (the launcher gives each its role's)."""
    if not PG_URL:
        needed("the production layout needs PostgreSQL: set MAMORU_TEST_POSTGRES_URL")
    nginx_binary()
    url, drop = fresh_postgres_database("mamoru_prod")
    prefix = f"mprod_{secrets.token_hex(3)}"
    smtp = SmtpSink()
    smtp.start()
    keep = {k: v for k, v in os.environ.items() if not k.startswith("MAMORU_")}
    env = {**keep, "MAMORU_DATABASE_URL": url, "MAMORU_ADMIN_PASSWORD": ADMIN_PASSWORD,
           "MAMORU_MAIL_BACKEND": "smtp", "MAMORU_SMTP_HOST": smtp.host, "MAMORU_SMTP_PORT": str(smtp.port),
           "MAMORU_MAIL_FROM": "mamoru@example.test", "MAMORU_MAX_REQUESTS": "4", **(settings or {})}
    launcher = subprocess.Popen([sys.executable, str(LAUNCHER), "--run-dir", str(run_dir), "--public-port", "0",
                                 "--staff-port", "0", "--base-port", "0", "--role-prefix", prefix,
                                 "--interval", f"{interval:g}"], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    layout_file = run_dir / "layout.json"
    pids: list[int] = []
    try:
        deadline = time.monotonic() + 180
        while not layout_file.exists():
            if launcher.poll() is not None or time.monotonic() > deadline:
                launcher.kill()
                out, errors = launcher.communicate()
                raise AssertionError(f"the layout did not start (exit {launcher.returncode}):\n{errors}\n{out}")
            time.sleep(0.3)
        layout = json.loads(layout_file.read_text())
        pids = [p["pid"] for p in layout["processes"].values()]
        owner_env = {**keep, "MAMORU_DATABASE_URL": url, "MAMORU_VAR_DIR": str(run_dir / "var" / "owner"),
                     "MAMORU_AUDIT_KEY": str(run_dir / "keys" / "audit.key")}
        yield ProductionLayout(public=layout["public"], staff=layout["staff"], owner_url=url, prefix=prefix,
                               run_dir=run_dir, processes=layout["processes"], smtp=smtp, owner_env=owner_env)
    finally:
        if launcher.poll() is None:
            launcher.send_signal(signal.SIGINT)  # what Ctrl-C does
        try:
            launcher.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            launcher.kill()
        smtp.stop()
        drop_role_users(url, prefix)
        drop()
    survivors = [pid for pid in pids if _alive(pid)]
    assert launcher.returncode == 0 and not survivors, (launcher.returncode, survivors)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
