"""Reporters' privacy: the access log records requests without the client's address, and a public report
stores none either (the address is used only for the in-memory rate limit)."""

from __future__ import annotations

import logging
import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from mamoru.hotline.models import Report

CLIENT = ("198.51.100.23", 50123)  # documentation range, never a real reporter
FORWARDED = "203.0.113.77"


def _all_text(records: list[logging.LogRecord]) -> str:
    return "\n".join(f"{r.name} {r.getMessage()} {r.args!r} {sorted(vars(r).items())!r}" for r in records)


def test_public_report_leaves_no_client_address_in_the_log(hotline_app, database, caplog) -> None:  # type: ignore[no-untyped-def]
    with TestClient(hotline_app, client=CLIENT) as c:
        form = c.get("/report", headers={"X-Forwarded-For": FORWARDED})
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
        with caplog.at_level(logging.DEBUG):
            r = c.post("/report", data={"url": "http://privacy.example.test/page", "content_type": "image",
                                        "csrf_token": csrf}, headers={"X-Forwarded-For": FORWARDED, "X-Real-IP": FORWARDED})
    assert r.status_code == 200 and "receipt" in r.text
    access = [rec for rec in caplog.records if rec.name == "mamoru.access"]
    assert [rec.getMessage().split()[:3] for rec in access] == [["POST", "/report", "200"]]
    text = _all_text(caplog.records)
    assert CLIENT[0] not in text and FORWARDED not in text
    with database.session() as s:
        report = s.scalars(select(Report).where(Report.url == "http://privacy.example.test/page")).one()
        stored = " ".join(str(getattr(report, col.key)) for col in Report.__table__.columns)
    assert CLIENT[0] not in stored and FORWARDED not in stored
