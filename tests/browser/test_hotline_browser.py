"""In headless Chromium, a report goes from the public form to verified removal: the analyst assesses,
the police referral is recorded, the deletion request reaches a local SMTP server, the local "reported
site" starts answering 404, the scheduled job closes the case, and the fiscal year's figures and the
follow-up's computed indicator move.

The server runs as its own process with the test-only setting that lets removal checks reach loopback.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from tests.browser.conftest import Server, _free_port
from tests.conftest import BACKENDS, TEST_PASSWORD, MigratedCopy
from tests.servers import wait_until_serving

pytestmark = pytest.mark.browser
IP_RANGES = Path(__file__).resolve().parent.parent / "functional" / "hotline" / "ip-ranges.csv"


class Site:
    status = 200
    requests: list[tuple[str, str]] = []


class SiteHandler(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        Site.requests.append((self.command, self.path))
        self.send_response(Site.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_HEAD = do_GET = _answer  # noqa: N815

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), SiteHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def inbox() -> Iterator[tuple[int, list[Message]]]:
    from aiosmtpd.controller import Controller

    got: list[Message] = []

    class Handler:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
            got.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[attr-defined]
            return "250 OK"

    port = _free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    yield port, got
    controller.stop()


@pytest.fixture(scope="module", params=BACKENDS)
def hotline_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                   inbox: tuple[int, list[Message]], migrated_copy: MigratedCopy) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("hotline-server")
    url, drop = migrated_copy(request.param, tmp)  # `mamoru setup` then has no migration left to run
    port = _free_port()
    env = {**os.environ, "MAMORU_DATABASE_URL": url, "MAMORU_VAR_DIR": str(tmp / "var"),
           "MAMORU_ADMIN_PASSWORD": TEST_PASSWORD, "MAMORU_NEW_PASSWORD": TEST_PASSWORD, "MAMORU_SECRET_KEY": "browser-test",
           "MAMORU_MAIL_BACKEND": "smtp", "MAMORU_SMTP_HOST": "127.0.0.1", "MAMORU_SMTP_PORT": str(inbox[0]),
           "MAMORU_MAIL_FROM": "hotline@example.test", "MAMORU_HOTLINE_CHECK_ALLOW_LOOPBACK_FOR_TESTS": "1",
           "MAMORU_HOTLINE_CHECK_HOURS": "0", "MAMORU_HOTLINE_CHECK_TIMEOUT": "5"}
    srv = Server(url=f"http://127.0.0.1:{port}", env=env)
    for args in (("setup",), ("user", "add", "analyst1", "--role", "analyst"),
                 ("hotline", "import-ip-ranges", str(IP_RANGES)),
                 ("hotline", "provider", "Loopback Hosting KK", "--email", "abuse@hosting.example.test",
                  "--language", "ja", "--network", "LOOPBACK-TEST")):
        r = _cli(srv, *args)
        assert r.exit_code == 0, (args, r.output)
    proc = subprocess.Popen([sys.executable, "-m", "mamoru.cli", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wait_until_serving(proc, srv.url + "/report")
    yield srv
    proc.terminate()
    proc.wait(timeout=10)
    drop()


def _twelve_hours_pass(server: Server) -> None:
    """The clock moves on: the first "gone" answer was 12 hours ago and the next check is due."""
    from datetime import timedelta

    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from mamoru.db import make_engine, utcnow
    from mamoru.hotline.models import HotlineCase

    engine = make_engine(server.env["MAMORU_DATABASE_URL"])
    with Session(engine) as s:
        for case in s.scalars(select(HotlineCase).where(HotlineCase.removal_seen_at.is_not(None))):
            case.removal_seen_at = utcnow() - timedelta(hours=12, minutes=1)
            case.next_check_at = utcnow() - timedelta(minutes=1)
        s.commit()
    engine.dispose()


def _cli(server: Server, *args: str):  # type: ignore[no-untyped-def]
    """The command in this process (much faster than a new interpreter), with the server's settings."""
    from typer.testing import CliRunner

    from mamoru.cli.app import app

    env = {k: v for k, v in server.env.items() if k.startswith("MAMORU_")}
    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


def _fiscal_indicator(server: Server) -> float | None:
    """The shipped follow-up indicator of the hotline's removal rate for this fiscal year (None when it has
    no value yet), read from the server's database as a hotline process computes it."""
    from mamoru.composition import live_providers
    from mamoru.db import Database, utcnow
    from mamoru.followup import indicators as fu
    from mamoru.periods import fiscal_period

    db = Database.from_url(server.env["MAMORU_DATABASE_URL"])
    try:
        with db.session() as s:
            ind = fu.get_indicator(s, "hotline-removal-rate")  # shipped in data/followup/indicators.yaml
            assert ind.provider == "hotline.removal_rate" and ind.period_type == "fiscal"
            values = {p.period: p.value for p in fu.series(s, ind, live_providers("hotline"))}
            return values.get(fiscal_period(utcnow()))
    finally:
        db.engine.dispose()


def _submit(page, selector: str) -> None:  # type: ignore[no-untyped-def]
    """Submit a form and wait for the page it leads to (reading too early sees the old page)."""
    with page.expect_navigation():
        page.click(selector)


def _case_status(page) -> str:  # type: ignore[no-untyped-def]
    return page.locator("#case-status").get_attribute("data-status")  # type: ignore[no-any-return]


def test_report_to_verified_removal(page, hotline_server, site, inbox) -> None:  # type: ignore[no-untyped-def]
    srv = hotline_server
    messages = inbox[1]
    messages.clear()
    Site.requests.clear()
    Site.status = 200
    before = _fiscal_indicator(srv)
    reported = site + "/album/photo-7?id=3"

    page.goto(srv.url + "/report")
    page.fill("#report-form input[name=url]", reported)
    page.select_option("#report-form select[name=content_type]", "image")
    page.fill("#report-form input[name=where_found]", "匿名掲示板")
    _submit(page, "#report-form button[type=submit]")
    receipt = page.inner_text("#receipt")
    assert re.fullmatch(r"R\d{6}(-[0-9A-HJKMNP-TV-Z]{4}){4}", receipt)

    page.goto(srv.url + "/login")
    page.fill("input[name=username]", "analyst1")
    page.fill("input[name=password]", TEST_PASSWORD)
    _submit(page, "main form button[type=submit]")
    page.goto(srv.url + "/hotline?lang=en")
    _submit(page, f"#queue tr:has-text('{reported}') a")
    assert "<img" not in page.content()
    _submit(page, "#trace-form button")
    assert page.inner_text("#case-provider") == "Loopback Hosting KK"
    page.check("#assess-form input[name=verdict][value=csam]")
    page.select_option("#assess-form select[name=legal_basis]", "child-pornography-provision")
    page.select_option("#assess-form select[name=severity]", "b")
    _submit(page, "#assess-form button[type=submit]")
    assert _case_status(page) == "referral_pending"
    assert Site.requests == [], "no request to the reported address during intake and assessment"

    page.fill("#refer-form input[name=police_unit]", "Cybercrime Division")
    page.fill("#refer-form input[name=reference]", "2026-0042")
    _submit(page, "#refer-form button[type=submit]")
    assert _case_status(page) == "notice_pending", page.inner_text("main")[:800]
    assert "Cybercrime Division" in page.inner_text("p.referral")

    r = _cli(srv, "hotline", "work", "--once")
    assert r.exit_code == 0, r.output
    [mail] = [m for m in messages if m["To"] == "abuse@hosting.example.test"]
    assert "削除依頼" in mail["Subject"] and reported in mail.get_content()
    page.reload()
    assert _case_status(page) == "removal_pending"
    assert "abuse@hosting.example.test" in page.inner_text("#deletion-requests")

    Site.status = 404
    r = _cli(srv, "hotline", "work", "--once")
    assert r.exit_code == 0, r.output
    page.reload()
    assert _case_status(page) == "removal_pending", "one answer is not a removal"
    assert page.get_attribute("#removal-state", "data-state") == "seen_once"
    _twelve_hours_pass(srv)
    r = _cli(srv, "hotline", "work", "--once")
    assert r.exit_code == 0, r.output
    page.reload()
    assert _case_status(page) == "removed"
    assert {m for m, _ in Site.requests} == {"HEAD"}

    page.goto(srv.url + "/hotline/figures?by=fy")
    row = page.locator("#figures tbody tr").first
    assert "100% (1/1)" in row.locator("td.removal-rate").inner_text()
    after = _fiscal_indicator(srv)
    assert (before, after) == (None, 100.0), "the shipped fiscal-year removal-rate indicator moves"
    page.screenshot(path=str(Path(srv.env["MAMORU_VAR_DIR"]) / "hotline-removed.png"))
