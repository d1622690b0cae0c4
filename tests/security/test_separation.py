"""Separation by process role: the portal serves the published plan without credentials for, or
grants on, hotline cases, hash banks or the blocking list (mamoru.separation, `mamoru db roles`)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.orm import Session
from tests.conftest import PG_URL, fresh_postgres_database
from tests.security.routes import flat_routes
from tests.settings_support import make_settings

from mamoru.blocklist.settings import BlocklistSettings
from mamoru.composition import load_settings
from mamoru.config import from_env
from mamoru.db import Database, make_engine
from mamoru.hotline.settings import HotlineSettings
from mamoru.separation import PROCESS_GRANTS, tables_by_module, tables_for

SECRET_TABLES = ["hl_cases", "hl_reports", "hash_banks", "hash_bank_entries", "blocklist_entries",
                 "blocklist_artifacts", "users", "api_tokens", "web_sessions", "audit_events"]
FORBIDDEN_PREFIXES = ("/api/v1/hotline", "/hotline", "/api/v1/match", "/api/v1/banks", "/banks", "/matching",
                      "/api/v1/blocklist", "/blocklist", "/report")
PORTAL_PAGES = ["/", "/portal", "/portal/indicators", "/agencies", "/timeline", "/definitions",
                "/api/v1/plans", "/api/v1/measures", "/api/v1/followup/indicators", "/blocked"]


def test_every_table_belongs_to_a_domain_and_the_portal_reads_only_published_plan_tables() -> None:
    by_module = tables_by_module()
    read, write = tables_for("portal")
    assert write == []
    assert set(read) == set(by_module["mamoru.plan.models"]) | set(by_module["mamoru.followup.models"])
    assert not set(read) & set(SECRET_TABLES)
    for role in PROCESS_GRANTS:
        _, writes = tables_for(role)
        assert "audit_events" not in writes, f"{role} could rewrite the audit chain"


def test_intake_may_insert_into_the_inbox_and_read_nothing() -> None:
    from mamoru.separation import roles_sql

    assert tables_for("intake") == ([], [])
    grants = [g for g in roles_sql("mamoru", ["intake"]) if g.startswith("GRANT")]
    assert grants == ["GRANT USAGE ON SCHEMA public TO mamoru_intake",
                      "GRANT SELECT ON alembic_version TO mamoru_intake",
                      "GRANT INSERT ON hl_inbox TO mamoru_intake",
                      "GRANT USAGE ON SEQUENCE hl_inbox_id_seq TO mamoru_intake",
                      "GRANT SELECT, INSERT, UPDATE, DELETE ON hl_rate_counters TO mamoru_intake",
                      "GRANT USAGE, SELECT ON SEQUENCE hl_rate_counters_id_seq TO mamoru_intake"]
    matcher = roles_sql("mamoru", ["matcher"])
    assert "GRANT INSERT ON hl_inbox TO mamoru_matcher" in matcher
    assert "hl_inbox" not in " ".join(g for g in matcher if g.startswith("GRANT SELECT"))


def test_intake_process_on_sqlite_serves_the_report_form_and_nothing_else(tmp_path: Path) -> None:
    from mamoru.hotline.contact_keys import ContactCipher
    from mamoru.web.app import create_app

    settings = make_settings(tmp_path, {"MAMORU_DATABASE_URL": f"sqlite:///{tmp_path / 'i.db'}", "MAMORU_SECRET_KEY": "k",
                                        "MAMORU_AUDIT_KEY": str(tmp_path / "a.key"), "MAMORU_ROLE": "intake"})
    with pytest.raises(FileNotFoundError, match="public contact key"):
        create_app(settings)  # no public key: the intake does not start (it never makes or reads the private key)
    assert not (tmp_path / "keys" / "contact.key").exists()
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "contact.pub").write_text(ContactCipher.generate().public_line() + "\n")
    routes = {(m, p) for m, p, _ in flat_routes(create_app(settings))}
    assert {("GET", "/report"), ("POST", "/report"), ("GET", "/api/v1/health")} <= routes
    assert [p for _, p in routes if p.startswith(FORBIDDEN_PREFIXES) and p != "/report"] == []
    assert [p for _, p in routes if p.startswith(("/login", "/account", "/admin", "/api/v1/me"))] == []


def test_portal_process_on_sqlite_serves_no_hotline_bank_or_blocklist_route(tmp_path: Path) -> None:
    from mamoru.web.app import create_app

    settings = make_settings(tmp_path, {"MAMORU_DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}", "MAMORU_SECRET_KEY": "k",
                                        "MAMORU_AUDIT_KEY": str(tmp_path / "a.key"), "MAMORU_ROLE": "portal"})
    paths = [p for _, p, _ in flat_routes(create_app(settings))]
    assert "/portal" in paths and "/" in paths
    leaked = [p for p in paths if p.startswith(FORBIDDEN_PREFIXES)]
    assert leaked == [], leaked
    writing = [f"{m} {p}" for m, p, _ in flat_routes(create_app(settings)) if m not in ("GET", "HEAD")]
    assert writing == [], writing  # the portal only reads: no login, no plan edits, no imports
    everything = [p for _, p, _ in flat_routes(create_app(make_settings(
        tmp_path, {"MAMORU_SECRET_KEY": "k", "MAMORU_AUDIT_KEY": str(tmp_path / "a.key")})))]
    assert any(p.startswith("/api/v1/hotline") for p in everything)  # the filter above can see them


def test_db_roles_refuses_sqlite_and_unknown_roles(tmp_path: Path) -> None:
    env = {**os.environ, "MAMORU_VAR_DIR": str(tmp_path), "MAMORU_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    mamoru = [sys.executable, "-m", "mamoru.cli"]
    r = subprocess.run([*mamoru, "db", "roles", "--apply"], env=env, capture_output=True, text=True)
    assert r.returncode == 2 and "PostgreSQL" in r.stderr
    r = subprocess.run([*mamoru, "db", "roles", "--role", "root"], env=env, capture_output=True, text=True)
    assert r.returncode == 2 and "unknown process role" in r.stderr


def as_user(url: str, user: str) -> str:
    return make_url(url).set(username=user, password=None).render_as_string(hide_password=False)


def _data_in_every_domain(session: Session) -> None:
    """Rows in every domain, as a running hotline would have them: the reference indicators (some
    computed from hotline cases), users and tokens, hotline cases assessed, a bank, a blocklist entry."""
    from tests.factories import hotline as hotline_data
    from tests.factories import matching as matching_data
    from tests.factories import users

    from mamoru.blocklist import service as blocklist
    from mamoru.followup.reference import load_reference
    from mamoru.hotline import service as hotline

    load_reference(session)
    analyst = users.user(session, "analyst")
    users.api_token(session, analyst, ["plan:read"])
    for i in range(3):
        case = hotline_data.report(session, f"http://separated-{i}.example.test/page").case
        hotline.assess(session, case, analyst, "csam", legal_basis="child-pornography", hosting_country="NL")
    matching_data.bank(session, "separated", matching_data.hexes(3, 7))
    blocklist.propose(session, analyst, "url", "http://separated-listed.example.test/page", "test entry")
    session.commit()


@pytest.fixture(scope="module")
def separated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A fresh PostgreSQL database, migrated, the plan loaded, data in every domain, and every process
    role's user made by `mamoru db roles --apply`: (owner URL, role prefix)."""
    if not PG_URL:
        pytest.skip("needs MAMORU_TEST_POSTGRES_URL")
    from mamoru.migrate import upgrade
    from mamoru.plan.loader import load_plan
    from mamoru.separation import drop_roles_sql

    url, drop = fresh_postgres_database("mamoru_sep")
    prefix = f"msep_{secrets.token_hex(3)}"
    owner = make_engine(url)
    try:
        upgrade(owner)
        with Database(owner).session() as s:
            load_plan(s, None)
            _data_in_every_domain(s)
        env = {"MAMORU_VAR_DIR": str(tmp_path_factory.mktemp("roles")), "MAMORU_DATABASE_URL": url,
               "PATH": os.environ.get("PATH", "")}
        r = subprocess.run([sys.executable, "-m", "mamoru.cli", "db", "roles", "--prefix", prefix, "--apply"],
                           env=env, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        yield url, prefix
    finally:
        owner.dispose()
        admin = create_engine(url)
        with admin.begin() as conn:
            for stmt in drop_roles_sql(prefix):
                conn.execute(text(stmt))
        admin.dispose()
        drop()


def test_portal_user_serves_pages_and_cannot_read_cases_banks_or_blocklist(separated: tuple[str, str],
                                                                           tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from mamoru.web.app import create_app

    url, prefix = separated
    # The hotline worker, as the hotline's database user, publishes the hotline's figures (it runs
    # composition.published_by(HOTLINE) every round): the portal shows them and computes nothing.
    from mamoru import composition
    from mamoru.followup import figures

    hotline_db = Database(make_engine(as_user(url, f"{prefix}_hotline")))
    try:
        with hotline_db.session() as s:
            assert figures.publish(s, composition.published_by(composition.HOTLINE), source="hotline worker") > 0
            reports = {c.period: c.value for c, _ in figures.values_for(s, "hotline.reports_received", "calendar")}
    finally:
        hotline_db.engine.dispose()
    assert sum(reports.values()) >= 3
    portal_url = as_user(url, f"{prefix}_portal")
    # The portal's environment: its own database user, no hotline, bank or blocklist settings.
    portal_env = {"MAMORU_ROLE": "portal", "MAMORU_DATABASE_URL": portal_url, "MAMORU_VAR_DIR": str(tmp_path),
                  "MAMORU_SECRET_KEY": "portal-secret"}
    settings = load_settings(portal_env)
    # The portal process gets the settings of the domains its role runs and no others: the blocking
    # list's (the public notice page names the appeal contact), never the hotline's or matching's.
    assert set(settings.domains) == {BlocklistSettings}
    with pytest.raises(LookupError, match="MAMORU_ROLE=portal does not serve"):
        settings.domain(HotlineSettings)
    assert [d for d in settings.domains.values() if d != from_env(type(d), {}, core=settings)] == []
    app = create_app(settings)
    with TestClient(app) as client:
        for page in PORTAL_PAGES:
            resp = client.get(page)
            assert resp.status_code == 200, (page, resp.status_code, resp.text[:300])
            # credentials the portal has no business reading are ignored, not looked up (its user may not)
            for headers in ({"Cookie": "mamoru_session=made-up"}, {"Authorization": "Bearer made-up"}):
                resp = client.get(page, headers=headers)
                assert resp.status_code == 200, (page, headers, resp.status_code, resp.text[:300])
        assert client.get("/api/v1/hotline/cases").status_code == 404
        shown = client.get("/api/v1/followup/indicators").json()
        (received,) = [i for i in shown if i["provider"] == "hotline.reports_received"]  # shipped: ihc-reports
        computed = {p["period"]: p["value"] for p in received["current"] if p["status"] == "computed"}
        assert computed == reports  # as the worker published them (no entered figure for these years)
        page = client.get("/portal/indicators")
        assert received["title_ja"] in page.text
    portal_engine = create_engine(portal_url)
    try:
        with portal_engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM measures")).scalar_one() > 0
        for table in SECRET_TABLES:
            with portal_engine.connect() as conn, pytest.raises(ProgrammingError, match="permission denied"):
                conn.execute(text(f"SELECT * FROM {table} LIMIT 1"))
        with portal_engine.connect() as conn, pytest.raises(ProgrammingError, match="permission denied"):
            conn.execute(text("UPDATE measures SET code = code"))
    finally:
        portal_engine.dispose()
    feed_engine = create_engine(as_user(url, f"{prefix}_feed"))
    try:
        with feed_engine.connect() as conn:
            conn.execute(text("SELECT count(*) FROM blocklist_entries"))
            with pytest.raises(ProgrammingError, match="permission denied"):
                conn.execute(text("SELECT * FROM hl_cases LIMIT 1"))
        with feed_engine.connect() as conn, pytest.raises(ProgrammingError, match="permission denied"):
            conn.execute(text("DELETE FROM audit_events"))
    finally:
        feed_engine.dispose()


def test_intake_user_serves_the_form_inserts_into_the_inbox_and_reads_nothing(separated: tuple[str, str],
                                                                              tmp_path: Path) -> None:
    """The public intake as its own database user, with the shared (database) rate limiter and the
    hotline's public key only: the form works, the report lands in hl_inbox with its contact sealed,
    and that user can read no secret table, not even the inbox; the hotline's user drains it."""
    import re

    from fastapi.testclient import TestClient

    from mamoru.hotline import inbox
    from mamoru.hotline.contact_keys import ContactCipher
    from mamoru.hotline.mail import MemoryMailer
    from mamoru.hotline.models import Report
    from mamoru.hotline.settings import HotlineSettings
    from mamoru.web.app import create_app

    url, prefix = separated
    hotline_keys = ContactCipher.from_file(tmp_path / "hotline" / "contact.key")
    public = tmp_path / "intake" / "contact.pub"
    public.parent.mkdir()
    public.write_text(hotline_keys.public_line() + "\n")
    intake_url = as_user(url, f"{prefix}_intake")
    intake_env = {"MAMORU_ROLE": "intake", "MAMORU_DATABASE_URL": intake_url, "MAMORU_VAR_DIR": str(tmp_path / "intake"),
                  "MAMORU_SECRET_KEY": "intake-secret", "MAMORU_HOTLINE_RATE_STORE": "database",
                  "MAMORU_HOTLINE_CONTACT_PUBLIC_KEY": str(public)}
    intake_settings = load_settings(intake_env)
    assert set(intake_settings.domains) == {HotlineSettings}
    with TestClient(create_app(intake_settings)) as client:
        page = client.get("/report")
        assert page.status_code == 200, page.text[:300]
        assert client.get("/api/v1/health").json()["role"] == "intake"
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        r = client.post("/report", data={"url": "http://separated.example.test/", "contact": "sep@example.test",
                                         "csrf_token": token})
        assert r.status_code == 200, r.text[:300]
        receipt = re.search(r'id="receipt">([^<]+)<', r.text).group(1)  # type: ignore[union-attr]
        assert client.post("/report", data={"url": "ftp://x.example.test/", "csrf_token": token}).status_code == 422
        assert client.get("/hotline").status_code == 404 and client.get("/login").status_code == 404
    owner = create_engine(url)
    try:
        with owner.connect() as conn:
            row = conn.execute(text("SELECT url, contact FROM hl_inbox WHERE receipt = :r"), {"r": receipt}).one()
        assert row.url == "http://separated.example.test/"
        assert hotline_keys.open(receipt, row.contact) == "sep@example.test"
    finally:
        owner.dispose()
    intake_engine = create_engine(intake_url)
    try:
        for table in [*SECRET_TABLES, "hl_inbox", "hl_providers", "measures"]:
            with intake_engine.connect() as conn, pytest.raises(ProgrammingError, match="permission denied"):
                conn.execute(text(f"SELECT * FROM {table} LIMIT 1"))
        with intake_engine.connect() as conn, pytest.raises(ProgrammingError, match="permission denied"):
            conn.execute(text("DELETE FROM hl_inbox"))
    finally:
        intake_engine.dispose()
    matcher_engine = create_engine(as_user(url, f"{prefix}_matcher"))
    try:
        with matcher_engine.connect() as conn, pytest.raises(ProgrammingError, match="permission denied"):
            conn.execute(text("SELECT * FROM hl_inbox LIMIT 1"))
    finally:
        matcher_engine.dispose()
    hotline_db = Database(make_engine(as_user(url, f"{prefix}_hotline")))
    try:
        assert inbox.drain(hotline_db, HotlineSettings(), MemoryMailer()).drained == 1
        with hotline_db.session() as s:
            from sqlalchemy import select

            stored = s.scalars(select(Report).where(Report.receipt == receipt)).one()
            assert hotline_keys.open(receipt, stored.contact) == "sep@example.test"
    finally:
        hotline_db.engine.dispose()
