"""`mamoru hotline contact-key` and `drain-inbox` on SQLite and PostgreSQL: the hotline writes the
public key the intake seals with; a report the intake put in the inbox becomes a report with its
receipt, its contact opened by the hotline's key only; rotation keeps it readable and re-seals it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.functional.conftest import Cli

from mamoru.db import make_engine
from mamoru.hotline import inbox, intake
from mamoru.hotline.contact_keys import ContactCipher, ContactSealer
from mamoru.hotline.contacts import view
from mamoru.hotline.models import InboxReport, Report

CONTACT = "cli-reporter@example.test"


def test_drain_inbox_stores_what_the_intake_sealed_with_the_public_key(cli: Cli, tmp_path: Path) -> None:
    key, public = tmp_path / "keys" / "contact.key", tmp_path / "intake" / "contact.pub"
    hotline = {"MAMORU_ROLE": "hotline", "MAMORU_HOTLINE_CONTACT_KEY": str(key)}
    r = cli("hotline", "contact-key", "--public-out", str(public), env=hotline)
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("x25519-public:") and "x25519:" not in public.read_text()
    assert cli("hotline", "contact-key", env={"MAMORU_ROLE": "intake", "MAMORU_HOTLINE_CONTACT_KEY": str(key)}).exit_code == 2

    engine = make_engine(cli.env["MAMORU_DATABASE_URL"])
    with Session(engine) as s:  # what the intake process does, with the public key file alone
        receipt = inbox.accept_public(s, intake.ReportInput(url="http://cli.example.test/", contact=CONTACT,
                                                            immediate_danger=True), ContactSealer.from_file(public))
        s.commit()
    r = cli("hotline", "drain-inbox", env=hotline)
    assert r.exit_code == 0 and "inbox reports stored 1" in r.stderr, r.output
    with Session(engine) as s:
        report = s.scalars(select(Report).where(Report.receipt == receipt)).one()
        assert report.immediate_danger and report.case.report_count == 1
        assert view(ContactCipher.from_file(key), report).text == CONTACT
        assert s.scalar(select(func.count()).select_from(InboxReport)) == 0
    assert "inbox reports stored 0" in cli("hotline", "drain-inbox", env=hotline).stderr

    first = ContactCipher.from_file(key)
    r = cli("hotline", "contact-key", "--rotate", env=hotline)
    assert r.exit_code == 0, r.output
    rotated = ContactCipher.from_file(key)
    assert rotated.key_id != first.key_id and len(rotated.keys) == 2
    assert r.stdout.strip() == rotated.public_line()
    r = cli("hotline", "seal-contacts", env=hotline)
    assert r.exit_code == 0 and "re-sealed with the current key 1" in r.stderr, r.output
    with Session(engine) as s:
        report = s.scalars(select(Report).where(Report.receipt == receipt)).one()
        assert report.contact.startswith(rotated.current_prefix) and view(rotated, report).text == CONTACT
    engine.dispose()
