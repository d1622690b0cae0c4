"""A report saying a child may be in immediate danger alerts the police contact exactly once,
whichever door it came through (the public form in the hotline process, the trusted flaggers' API,
a partner's CSV on the command line, the intake's inbox drained by the worker), at once, and
neither a repeated submission nor the worker's next round alerts again (intake.receive decides)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import select

from mamoru.db import Database
from mamoru.hotline import inbox
from mamoru.hotline.automation import run_due
from mamoru.hotline.models import HotlineCase
from mamoru.hotline.runtime import HotlineRuntime


def _alerts(smtp_server: Any, url: str) -> int:
    return sum(url in m.get_payload(decode=True).decode() for m in smtp_server.by_subject("immediate danger"))


def _alerted_once(database: Any, runtime: HotlineRuntime, smtp_server: Any, url: str) -> None:
    assert _alerts(smtp_server, url) == 1, "alerted at once, by the door's own request"
    run_due(database, runtime.settings, runtime.mailer, runtime.checker)
    assert _alerts(smtp_server, url) == 1, "the worker's round does not alert again"
    with database.session() as s:
        case = s.scalars(select(HotlineCase).where(HotlineCase.url == url)).one()
        assert case.immediate_danger and case.police_alerted_at is not None


def _form_token(client: Any) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/report").text).group(1)  # type: ignore[union-attr]


def test_public_form(hl_client: Any, database: Any, runtime: HotlineRuntime, smtp_server: Any) -> None:
    url = "http://form-danger.example.test/live"
    for _ in range(2):  # the reporter sends it twice: one case, one alert
        r = hl_client.post("/report", data={"url": url, "immediate_danger": "1", "csrf_token": _form_token(hl_client)})
        assert r.status_code == 200, r.text
    _alerted_once(database, runtime, smtp_server, url)


def test_trusted_flagger_api(hl_client: Any, database: Any, runtime: HotlineRuntime, smtp_server: Any,
                             make_user: Any, api_token: Any) -> None:
    h = {"Authorization": f"Bearer {api_token(make_user('analyst'), ['flagger'])}"}
    url = "http://api-danger.example.test/live"
    body = {"url": url, "immediate_danger": True, "client_key": "flagger-ref-1"}
    first = hl_client.post("/api/v1/hotline/reports", headers=h, json=body)
    again = hl_client.post("/api/v1/hotline/reports", headers=h, json=body)  # a client retrying its request
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    _alerted_once(database, runtime, smtp_server, url)


def test_partner_csv_on_the_command_line(cli: Any, tmp_path: Path, runtime: HotlineRuntime, smtp_server: Any) -> None:
    mail = {"MAMORU_MAIL_BACKEND": "smtp", "MAMORU_SMTP_HOST": smtp_server.host, "MAMORU_SMTP_PORT": str(smtp_server.port),
            "MAMORU_HOTLINE_POLICE_EMAIL": "police@example.test"}
    assert cli("user", "add", "partner-desk", "--role", "analyst").exit_code == 0
    url = "http://csv-danger.example.test/live"
    csv = tmp_path / "partner.csv"
    csv.write_text(f"url,immediate_danger,client_key\n{url},yes,P-1\n")
    for _ in range(2):  # re-importing the same file stores nothing new
        r = cli("hotline", "import-csv", str(csv), "--partner", "INHOPE-XX", "--as", "partner-desk", env=mail)
        assert r.exit_code == 0, r.output
    database = Database.from_url(cli.env["MAMORU_DATABASE_URL"])
    try:
        _alerted_once(database, runtime, smtp_server, url)
    finally:
        database.engine.dispose()


def test_intake_inbox_drained_by_the_worker(intake_client: Any, database: Any, runtime: HotlineRuntime,
                                            smtp_server: Any) -> None:
    url = "http://inbox-danger.example.test/live"
    for _ in range(2):
        r = intake_client.post("/report", data={"url": url, "immediate_danger": "1",
                                                "csrf_token": _form_token(intake_client)})
        assert r.status_code == 200, r.text
    assert _alerts(smtp_server, url) == 0  # the intake process holds no mailer and no case
    assert inbox.drain(database, runtime.settings, runtime.mailer).alerts == 1
    _alerted_once(database, runtime, smtp_server, url)
