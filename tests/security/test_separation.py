"""Separation by process role: the portal serves the published plan without credentials for, or
grants on, hotline cases, hash banks or the blocking list (mamoru.separation, `mamoru db roles`)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import ProgrammingError
from tests.conftest import PG_URL, fresh_postgres_database
from tests.security.routes import flat_routes

from mamoru.config import Settings
from mamoru.db import Database, make_engine
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


def test_portal_process_on_sqlite_serves_no_hotline_bank_or_blocklist_route(tmp_path: Path) -> None:
    from mamoru.web.app import create_app

    settings = Settings(var_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'p.db'}", secret_key="k",
                        audit_key_path=tmp_path / "a.key", role="portal")
    paths = [p for _, p, _ in flat_routes(create_app(settings))]
    assert "/portal" in paths and "/" in paths
    leaked = [p for p in paths if p.startswith(FORBIDDEN_PREFIXES)]
    assert leaked == [], leaked
    writing = [f"{m} {p}" for m, p, _ in flat_routes(create_app(settings)) if m not in ("GET", "HEAD")]
    assert writing == [], writing  # the portal only reads: no login, no plan edits, no imports
    everything = [p for _, p, _ in flat_routes(create_app(Settings(
        var_dir=tmp_path, database_url="sqlite://", secret_key="k", audit_key_path=tmp_path / "a.key")))]
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


@pytest.mark.skipif(not PG_URL, reason="needs MAMORU_TEST_POSTGRES_URL")
def test_portal_user_serves_pages_and_cannot_read_cases_banks_or_blocklist(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from mamoru.migrate import upgrade
    from mamoru.plan.loader import load_plan
    from mamoru.web.app import create_app

    url, drop = fresh_postgres_database("mamoru_sep")
    prefix = f"msep_{secrets.token_hex(3)}"
    owner = make_engine(url)
    try:
        upgrade(owner)
        owner_db = Database(owner)
        with owner_db.session() as s:
            load_plan(s, None)
        env = {"MAMORU_VAR_DIR": str(tmp_path), "MAMORU_DATABASE_URL": url, "PATH": os.environ.get("PATH", "")}
        r = subprocess.run([sys.executable, "-m", "mamoru.cli", "db", "roles", "--prefix", prefix, "--apply"],
                           env=env, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        portal_url = as_user(url, f"{prefix}_portal")
        # The portal's environment: its own database user, no hotline, bank or blocklist settings.
        portal_env = {"MAMORU_ROLE": "portal", "MAMORU_DATABASE_URL": portal_url, "MAMORU_VAR_DIR": str(tmp_path),
                      "MAMORU_SECRET_KEY": "portal-secret"}
        settings = Settings.from_env(portal_env)
        assert not [k for k in settings.extra if k.startswith(("MAMORU_HOTLINE", "MAMORU_BLOCKLIST", "MAMORU_MATCH"))]
        app = create_app(settings)
        with TestClient(app) as client:
            for page in PORTAL_PAGES:
                resp = client.get(page)
                assert resp.status_code == 200, (page, resp.status_code, resp.text[:300])
            assert client.get("/api/v1/hotline/cases").status_code == 404
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
    finally:
        owner.dispose()
        from mamoru.separation import drop_roles_sql

        admin = create_engine(url)
        with admin.begin() as conn:
            for stmt in drop_roles_sql(prefix):
                conn.execute(text(stmt))
        admin.dispose()
        drop()
