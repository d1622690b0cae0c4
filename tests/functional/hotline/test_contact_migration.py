"""Migration hl0002 on a database holding contacts from before sealing: they keep their age for the
purge, and `mamoru hotline seal-contacts` / `purge-contacts` seal and clear them (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import MetaData, Table, insert, select, text
from sqlalchemy.orm import Session
from tests.conftest import BACKENDS, fresh_database_url
from tests.functional.conftest import Cli
from typer.testing import CliRunner

from mamoru.db import make_engine, utcnow
from mamoru.hotline.contacts import ContactCipher, view
from mamoru.hotline.models import Report
from mamoru.migrate import upgrade


@pytest.fixture(params=BACKENDS)
def before_hl0002(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Cli]]:
    """A database at hl0001 holding two plain contacts (one 400 days old), and a CLI bound to it."""
    url, drop = fresh_database_url(request.param, tmp_path)
    engine = make_engine(url)
    upgrade(engine, "hl0001")
    now = utcnow()
    # hl_cases as it was at hl0001 (the model has columns later revisions added)
    cases = Table("hl_cases", MetaData(), autoload_with=engine)
    with Session(engine) as s:
        case_id = s.execute(insert(cases).values(
            canonical_url="http://legacy.example.test/", url="http://legacy.example.test/", status="queued",
            priority=0, immediate_danger=False, trusted=False, content_type="", report_count=2, opened_at=now,
            due_at=now, addresses=[], police_hold=False, guidance_route="", reappearances=0)).inserted_primary_key[0]
        for receipt, age, contact in (("R241001-OLD", 400, "old@example.test"), ("R261101-NEW", 20, "new@example.test")):
            s.execute(insert(Report.__table__).values(  # type: ignore[arg-type]
                receipt=receipt, case_id=case_id, received_at=now - timedelta(days=age), source="public",
                url="http://legacy.example.test/", content_type="", where_found="", description="", contact=contact,
                immediate_danger=False, partner=""))
        s.commit()
    engine.dispose()
    env = {"MAMORU_DATABASE_URL": url, "MAMORU_VAR_DIR": str(tmp_path / "var"), "MAMORU_ROLE": "hotline",
           "MAMORU_HOTLINE_CONTACT_KEY": str(tmp_path / "keys" / "contact.key"),
           "MAMORU_AUDIT_KEY": str(tmp_path / "keys" / "audit.key")}
    yield url, Cli(env=env, runner=CliRunner())
    drop()


def test_plain_contacts_are_aged_by_the_migration_then_sealed_and_purged(before_hl0002: tuple[str, Cli],
                                                                         tmp_path: Path) -> None:
    url, cli = before_hl0002
    r = cli("db", "upgrade")
    assert r.exit_code == 0, r.output
    engine = make_engine(url)
    with Session(engine) as s:
        rows = {r.receipt: r for r in s.scalars(select(Report))}
        assert all(r.contact_kept_since == r.received_at for r in rows.values())
        assert view(ContactCipher.generate(), rows["R261101-NEW"]).state == "plain"

    r = cli("hotline", "seal-contacts")
    assert r.exit_code == 0 and "contacts sealed 2" in r.stderr, r.output
    r = cli("hotline", "purge-contacts", env={"MAMORU_HOTLINE_CONTACT_RETENTION_DAYS": "365"})
    assert r.exit_code == 0 and "1 contacts purged" in r.stderr, r.output
    cipher = ContactCipher.from_file(tmp_path / "keys" / "contact.key")
    with Session(engine) as s:
        raw = " ".join(s.execute(text("SELECT contact FROM hl_reports")).scalars())
        assert "example.test" not in raw
        rows = {r.receipt: r for r in s.scalars(select(Report))}
        assert view(cipher, rows["R261101-NEW"]).text == "new@example.test"
        assert view(cipher, rows["R241001-OLD"]).state == "purged"
        actions = [json.loads(d) for d in s.execute(text(
            "SELECT detail FROM audit_events WHERE action IN ('hotline:contacts:seal', 'hotline:contacts:purge') "
            "ORDER BY seq")).scalars()]
    engine.dispose()
    assert [a.get("sealed", a.get("purged")) for a in actions] == [2, 1]
