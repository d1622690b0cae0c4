"""Separation by process role: the portal serves the published plan without credentials for, or
grants on, hotline cases, hash banks or the blocking list (mamoru.separation, `mamoru db roles`)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, create_engine, make_url, text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.orm import Session
from tests.conftest import PG_URL, drop_role_users, fresh_postgres_database
from tests.security.routes import flat_routes
from tests.settings_support import make_settings

from mamoru.blocklist.settings import BlocklistSettings
from mamoru.composition import load_settings
from mamoru.config import from_env
from mamoru.db import Database, make_engine
from mamoru.followup.settings import FollowupSettings
from mamoru.hotline.settings import HotlineSettings
from mamoru.separation import PROCESS_GRANTS, tables_by_module, tables_for

SECRET_TABLES = ["hl_cases", "hl_reports", "hash_banks", "hash_bank_entries", "blocklist_entries",
                 "blocklist_artifacts", "users", "api_tokens", "web_sessions", "audit_events"]
# What each process role's PostgreSQL user may do, table by table, after `mamoru db roles --apply`:
# S SELECT, I INSERT, U UPDATE, D DELETE, u UPDATE of the columns in EXPECTED_COLUMN_UPDATES only,
# s SELECT of the columns in EXPECTED_COLUMN_SELECTS only,
# "." a privilege it lacks, "-" nothing at all. Why, per role (the routers each serves are its
# web/<group>/__init__.py ROUTES):
# - portal: web/portal, web/plan (GET only), web/blocklist/notice: the public plan and follow-up
#   tables, some of them row by row (separation.PORTAL_ROWS); not agency_profiles (contacts),
#   fu_entry_versions (drafts), meetings, MNR self-assessments; no accounts (it authenticates nobody).
# - office: web/plan, web/followup, web/portal API, web/auth: the plan and follow-up whole; sign-in
#   (sessions, failed logins), the administrator's user pages (users I) and the account page's
#   tokens (api_tokens I), revoked there (u revoked_at); a token's use (u last_used_at), a session's
#   slide (u last_seen_at, expires_at); an account's page (web/auth ui_users, api_users) changes a user's
#   role, agency, display name, e-mail, language and activity (users u of those columns; the user's
#   own language on their account page too), never its username
#   or password (command line, as owner); form drafts kept sealed while a user signs in again (S I D).
# - hotline: web/hotline, web/matching ui and banks API, web/blocklist staff pages and API, web/auth,
#   and the worker (inbox drain, figures into fu_published_figures): its three domains whole, agencies
#   (agency officers' accounts) and definition_terms (legal bases), accounts as the office but for
#   changing an account (users S I only: the office serves the account's page).
# - intake: the report form: INSERT into hl_inbox without reading it back, the rate-limit counters;
#   the status lookup by receipt through the function hl_receipt_status (EXPECTED_FUNCTIONS), no table.
# - matcher: the match API: reads the banks, writes its state, snapshots, platforms' choices and
#   counters, INSERTs platforms' reports into hl_inbox; API tokens only (no web_sessions): of users
#   the token owner's columns ("s", EXPECTED_COLUMN_SELECTS), never password_hash.
# - feed: the subscribers' feed: published files (publications, artifacts), its access log (S I);
#   API tokens only, users as the matcher.
# - office_worker (the database user of the office's worker, `mamoru work` as MAMORU_ROLE=office: the
#   follow-up's reminders only): reads open rounds, their entries and agencies, of users only the
#   columns of EXPECTED_COLUMN_SELECTS ("s": never password_hash), records each reminder once
#   (fu_round_reminders S I, never U or D) and its rounds (worker_rounds S I U); no audit log.
# - audit_events: INSERT and SELECT only, for every role that records events; nobody UPDATEs or DELETEs.
EXPECTED_GRANTS = """
table                       portal   office   hotline  intake   matcher  feed    office_worker
agencies                    S...     SIUD     S...     -        -        -       S...
agency_profiles             -        SIUD     -        -        -        -       -
agency_successions          S...     SIUD     -        -        -        -       -
alembic_version             S...     S...     S...     S...     S...     S...    S...
api_tokens                  -        SIu.     SIu.     -        S.u.     S.u.    -
audit_events                -        SI..     SI..     -        SI..     SI..    -
blocklist_appeals           -        -        SIUD     -        -        -       -
blocklist_artifacts         -        -        SIUD     -        -        S...    -
blocklist_entries           -        -        SIUD     -        -        -       -
blocklist_feed_access       -        -        SIUD     -        -        SI..    -
blocklist_publications      -        -        SIUD     -        -        S...    -
blocklist_subscriptions     -        -        SIUD     -        -        S...    -
blocklist_versions          -        -        SIUD     -        -        -       -
bodies                      S...     SIUD     -        -        -        -       -
definition_terms            S...     SIUD     S...     -        -        -       -
form_drafts                 -        SI.D     SI.D     -        -        -       -
fu_action_items             S...     SIUD     -        -        -        -       -
fu_awareness_materials      S...     SIUD     -        -        -        -       -
fu_body_profiles            -        SIUD     -        -        -        -       -
fu_capabilities             S...     SIUD     -        -        -        -       -
fu_consultation_services    S...     SIUD     -        -        -        -       -
fu_decisions                S...     SIUD     -        -        -        -       -
fu_entries                  S...     SIUD     -        -        -        -       S...
fu_entry_statuses           S...     SIUD     -        -        -        -       -
fu_entry_versions           -        SIUD     -        -        -        -       -
fu_indicator_values         S...     SIUD     -        -        -        -       -
fu_indicators               S...     SIUD     -        -        -        -       -
fu_maturity                 -        SIUD     -        -        -        -       -
fu_measure_capabilities     S...     SIUD     -        -        -        -       -
fu_meeting_corrections      -        SIUD     -        -        -        -       -
fu_meetings                 S...     SIUD     -        -        -        -       -
fu_prefecture_publications  S...     SIUD     -        -        -        -       -
fu_prefecture_status        S...     SIUD     -        -        -        -       -
fu_published_figures        S...     SIUD     SIUD     -        -        -       -
fu_round_errata             S...     SIUD     -        -        -        -       -
fu_round_extensions         -        SIUD     -        -        -        -       -
fu_round_reminders          -        SIUD     -        -        -        -       SI..
fu_rounds                   S...     SIUD     -        -        -        -       S...
hash_bank_entries           -        -        SIUD     -        S...     -       -
hash_banks                  -        -        SIUD     -        S...     -       -
hl_assessments              -        -        SIUD     -        -        -       -
hl_case_events              -        -        SIUD     -        -        -       -
hl_cases                    -        -        SIUD     -        -        -       -
hl_deletion_requests        -        -        SIUD     -        -        -       -
hl_forwards                 -        -        SIUD     -        -        -       -
hl_hashes                   -        -        SIUD     -        -        -       -
hl_inbox                    -        -        SIUD     .I..     .I..     -       -
hl_ip_ranges                -        -        SIUD     -        -        -       -
hl_labels                   -        -        SIUD     -        -        -       -
hl_providers                -        -        SIUD     -        -        -       -
hl_rate_counters            -        -        SIUD     SIUD     -        -       -
hl_referrals                -        -        SIUD     -        -        -       -
hl_removal_checks           -        -        SIUD     -        -        -       -
hl_reports                  -        -        SIUD     -        -        -       -
login_attempts              -        SI.D     SI.D     -        -        -       -
match_counts                -        -        SIUD     -        SIUD     -       -
match_platform_banks        -        -        SIUD     -        SIUD     -       -
match_query_counts          -        -        SIUD     -        SIUD     -       -
match_snapshots             -        -        SIUD     -        SIUD     -       -
match_state                 -        -        SIUD     -        SIUD     -       -
measure_amendments          S...     SIUD     -        -        -        -       -
measure_assignments         S...     SIUD     -        -        -        -       -
measure_lineage             S...     SIUD     -        -        -        -       -
measure_origins             S...     SIUD     -        -        -        -       -
measures                    S...     SIUD     -        -        -        -       -
pillars                     S...     SIUD     -        -        -        -       -
plans                       S...     SIUD     -        -        -        -       -
prefectures                 S...     SIUD     -        -        -        -       -
timeline_events             S...     SIUD     -        -        -        -       -
users                       -        SIu.     SI..     -        s...     s...    s...
web_sessions                -        SIuD     SIuD     -        -        -       -
worker_rounds               S...     S...     SIUD     S...     S...     S...    SIU.
"""
EXPECTED_COLUMN_UPDATES = {
    ("api_tokens", "office"): ("last_used_at", "revoked_at"), ("api_tokens", "hotline"): ("last_used_at", "revoked_at"),
    ("api_tokens", "matcher"): ("last_used_at",), ("api_tokens", "feed"): ("last_used_at",),
    ("web_sessions", "office"): ("expires_at", "last_seen_at"), ("web_sessions", "hotline"): ("expires_at", "last_seen_at"),
    ("users", "office"): ("active", "agency_code", "display_name", "email", "preferred_lang", "role"),
}
TOKEN_OWNER = ("active", "agency_code", "created_at", "created_by_id", "display_name", "email", "id",
               "preferred_lang", "role", "username")  # every column of users but password_hash
EXPECTED_COLUMN_SELECTS = {
    ("users", "office_worker"): ("active", "agency_code", "email", "preferred_lang", "role", "username"),
    ("users", "matcher"): TOKEN_OWNER, ("users", "feed"): TOKEN_OWNER,
}
"""(table, role) -> the columns the role may SELECT where it may not SELECT the whole table ("s")."""
EXPECTED_FUNCTIONS = {"hl_receipt_status(text)": {"intake", "hotline"}}
"""Functions of the schema and the process roles that may EXECUTE them (none is PUBLIC's): the
reporters' status lookup, served by the intake (and the hotline, which reads the tables anyway)."""
FORBIDDEN_PREFIXES = ("/api/v1/hotline", "/hotline", "/api/v1/match", "/api/v1/banks", "/banks", "/matching",
                      "/api/v1/blocklist", "/blocklist", "/report", "/api/v1/report")
PORTAL_PAGES = ["/", "/portal", "/portal/indicators", "/agencies", "/timeline", "/definitions",
                "/api/v1/plans", "/api/v1/measures", "/api/v1/followup/indicators", "/blocked",
                "/portal/indicators/cp-victims", "/portal/indicators/cp-victims/data.csv",
                "/portal/indicators/cp-victims/data.json"]


def test_every_table_belongs_to_a_domain_and_the_portal_reads_only_published_plan_tables() -> None:
    from mamoru.separation import PORTAL_FOLLOWUP, PORTAL_PLAN, PORTAL_ROWS, privileges

    by_module = tables_by_module()
    read, write = tables_for("portal")
    assert write == []
    assert set(read) == {*PORTAL_PLAN, *PORTAL_FOLLOWUP, "worker_rounds"}  # the last: its health check
    assert set(read) - {"worker_rounds"} <= set(by_module["mamoru.plan.models"]) | set(by_module["mamoru.followup.models"])
    assert not set(read) & {*SECRET_TABLES, "agency_profiles", "fu_entry_versions", "fu_meeting_corrections",
                            "fu_maturity"}
    # meetings and what hangs on them: row by row, public meetings only (a measure's history, the report)
    assert {"fu_meetings", "fu_decisions", "fu_action_items", "fu_round_errata"} <= set(PORTAL_ROWS)
    assert set(PORTAL_ROWS) <= set(read)
    for role in PROCESS_GRANTS:
        grants = privileges(role).get("audit_events", ())
        assert not [p for p in grants if p.startswith(("UPDATE", "DELETE"))], f"{role} could rewrite the audit chain"


def test_intake_may_insert_into_the_inbox_and_read_nothing() -> None:
    from mamoru.separation import roles_sql

    assert tables_for("intake") == (["hl_rate_counters", "worker_rounds"], ["hl_inbox", "hl_rate_counters"])
    grants = [g for g in roles_sql("mamoru", ["intake"]) if g.startswith("GRANT")]
    assert grants == ["GRANT USAGE ON SCHEMA public TO mamoru_intake",
                      "GRANT SELECT ON alembic_version TO mamoru_intake",
                      "GRANT INSERT ON hl_inbox TO mamoru_intake",
                      "GRANT SELECT, INSERT, UPDATE, DELETE ON hl_rate_counters TO mamoru_intake",
                      "GRANT SELECT ON worker_rounds TO mamoru_intake",
                      "GRANT USAGE ON SEQUENCE hl_inbox_id_seq, hl_rate_counters_id_seq TO mamoru_intake",
                      "GRANT EXECUTE ON FUNCTION hl_receipt_status(text) TO mamoru_intake"]
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
    public = {"/report", "/report/status", "/api/v1/report/status"}  # the form and the reporters' status lookup
    assert {("GET", "/report"), ("POST", "/report"), ("GET", "/report/status"), ("POST", "/report/status"),
            ("POST", "/api/v1/report/status"), ("GET", "/api/v1/health")} <= routes
    assert [p for _, p in routes if p.startswith(FORBIDDEN_PREFIXES) and p not in public] == []
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


ROLES = ("portal", "office", "hotline", "intake", "matcher", "feed", "office_worker")
LETTERS = {"SELECT": "S", "INSERT": "I", "UPDATE": "U", "DELETE": "D"}


def actual_functions(conn: Connection, prefix: str) -> dict[str, set[str]]:
    """Every function of the public schema with the process roles that may execute it; PUBLIC, if
    it may, shows as "PUBLIC"."""
    out: dict[str, set[str]] = {}
    for oid, name in conn.execute(text("SELECT p.oid, p.oid::regprocedure::text FROM pg_proc p "
                                       "WHERE p.pronamespace = 'public'::regnamespace")).all():
        holders = {r for r in ROLES if conn.execute(text("SELECT has_function_privilege(:u, :f, 'EXECUTE')"),
                                                    {"u": f"{prefix}_{r}", "f": oid}).scalar_one()}
        public = conn.execute(text("SELECT bool_or(a.grantee = 0) FROM pg_proc p, aclexplode(coalesce(p.proacl, "
                                   "acldefault('f', p.proowner))) a WHERE p.oid = :f AND a.privilege_type = 'EXECUTE'"),
                              {"f": oid}).scalar_one()
        out[name] = holders | ({"PUBLIC"} if public else set())
    return out


def actual_grants(conn: Connection, prefix: str) -> dict[str, dict[str, str]]:
    """What PostgreSQL says each role's user may do on every table of the schema: a cell per role of
    S, I, U, D in that order, "u" for UPDATE of some columns only, "." for a privilege it lacks, "-"
    for none at all; and, per (table, role) with "u", the columns (second value)."""
    tables = list(conn.scalars(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                                    "UNION SELECT viewname FROM pg_views WHERE schemaname = 'public' ORDER BY 1")))
    out: dict[str, dict[str, str]] = {}
    for table in tables:
        row = {}
        for role in ROLES:
            user = f"{prefix}_{role}"
            cell = ""
            for privilege, letter in LETTERS.items():
                if conn.execute(text("SELECT has_table_privilege(:u, :t, :p)"),
                                {"u": user, "t": f"public.{table}", "p": privilege}).scalar_one():
                    cell += letter
                elif privilege != "DELETE" and conn.execute(text("SELECT has_any_column_privilege(:u, :t, :p)"),
                                                            {"u": user, "t": f"public.{table}", "p": privilege}).scalar_one():
                    cell += letter.lower()
                else:
                    cell += "."
            row[role] = "-" if cell == "...." else cell
        out[table] = row
    return out


def actual_column_updates(conn: Connection, prefix: str, privilege: str = "UPDATE") -> dict[tuple[str, str], tuple[str, ...]]:
    """(table, role) -> the columns the role may UPDATE (or `privilege`) where it may not UPDATE the whole table."""
    out: dict[tuple[str, str], tuple[str, ...]] = {}
    for role in ROLES:
        user = f"{prefix}_{role}"
        rows = conn.execute(text(
            "SELECT table_name, column_name FROM information_schema.column_privileges WHERE grantee = :u "
            "AND privilege_type = :p AND table_schema = 'public' ORDER BY 1, 2"), {"u": user, "p": privilege}).all()
        for table, column in rows:
            if not conn.execute(text("SELECT has_table_privilege(:u, :t, :p)"),
                                {"u": user, "t": f"public.{table}", "p": privilege}).scalar_one():
                out[(table, role)] = (*out.get((table, role), ()), column)
    return out


def actual_sequences(conn: Connection, prefix: str) -> dict[str, dict[str, str]]:
    """Per sequence and role: U (USAGE), S (SELECT), W (UPDATE: setval) that the role's user holds."""
    seqs = list(conn.scalars(text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1")))
    out: dict[str, dict[str, str]] = {}
    for seq in seqs:
        row = {}
        for role in ROLES:
            cell = "".join(letter for privilege, letter in (("USAGE", "U"), ("SELECT", "S"), ("UPDATE", "W"))
                           if conn.execute(text("SELECT has_sequence_privilege(:u, :s, :p)"),
                                           {"u": f"{prefix}_{role}", "s": f"public.{seq}", "p": privilege}).scalar_one())
            row[role] = cell or "-"
        out[seq] = row
    return out


def render_grants(grants: dict[str, dict[str, str]]) -> str:
    width = max(len(t) for t in grants) + 2
    lines = ["table".ljust(width) + "".join(r.ljust(9) for r in ROLES).rstrip()]
    for table, row in grants.items():
        lines.append(table.ljust(width) + "".join(row[r].ljust(max(9, len(r) + 1)) for r in ROLES).rstrip())
    return "\n".join(lines)


def parse_grants(declared: str) -> dict[str, dict[str, str]]:
    lines = [line.split() for line in declared.strip().splitlines()]
    header, rows = lines[0], lines[1:]
    assert header == ["table", *ROLES] or header == ["sequence", *ROLES], header
    assert all(len(r) == len(header) for r in rows), [r for r in rows if len(r) != len(header)]
    return {r[0]: dict(zip(ROLES, r[1:], strict=True)) for r in rows}


@dataclass
class Made:
    """What _data_in_every_domain made that the tests look for: ids, texts and a token."""

    published_round: int = 0
    open_round: int = 0
    accepted_entry: int = 0
    draft_entries: list[int] = field(default_factory=list)
    published_material: int = 0
    draft_material: int = 0
    published_prefectures: int = 0  # a measure whose prefecture table is published
    unpublished_prefectures: int = 0
    admin_token: str = ""
    public_values: list[int] = field(default_factory=list)  # approved (one superseded) and withdrawn after
    hidden_values: list[int] = field(default_factory=list)  # a draft and a draft withdrawn: never public


ACCEPTED_TEXT = "公開された報告 separated-accepted"
DRAFT_TEXT = "未公開の下書き separated-draft"
ERRATUM_TEXT = "公表後の訂正 separated-erratum"
PUBLIC_MEETING_TEXT, PRIVATE_MEETING_TEXT = "公開の会議 separated-meeting", "非公開の会議 separated-private"
INDICATOR = "separated-indicator"
# an indicator's values: approved, its approved correction, approved then withdrawn, a draft, a withdrawn draft
APPROVED_VALUE, CORRECTED_VALUE, WITHDRAWN_VALUE, DRAFT_VALUE, WITHDRAWN_DRAFT_VALUE = 1111, 1212, 1313, 4747, 4848
WITHDRAWN_REASON, DRAFT_NOTE = "公表後の取下げ separated-withdrawn", "未承認の値 separated-value-draft"


def _data_in_every_domain(session: Session) -> Made:
    """Rows in every domain, as a running hotline would have them: the reference indicators (some
    computed from hotline cases), users and tokens, hotline cases assessed, a bank, a blocklist entry;
    in the follow-up, public rows and their drafts side by side: a published round with an accepted
    entry and an entry still a draft, an open round with a draft, awareness material published and
    draft, a published prefecture table and an unpublished one, an agency's contacts, a draft plan."""
    from datetime import date

    from sqlalchemy import select
    from tests.factories import hotline as hotline_data
    from tests.factories import matching as matching_data
    from tests.factories import users

    from mamoru.blocklist import service as blocklist
    from mamoru.followup import entries
    from mamoru.followup import materials as msvc
    from mamoru.followup import prefectures as psvc
    from mamoru.followup.models import RoundEntry
    from mamoru.followup.reference import load_reference
    from mamoru.followup.rounds import open_round, publish_round
    from mamoru.followup.workflow import Content
    from mamoru.hotline import service as hotline
    from mamoru.plan.models import Agency, AgencyProfile, Body, Measure, Plan

    made = Made()
    load_reference(session)
    analyst = users.user(session, "analyst")
    users.api_token(session, analyst, ["plan:read"])
    made.admin_token = users.api_token(session, users.user(session, "administrator"), ["audit:read", "blocklist"], name="admin")
    for i in range(3):
        case = hotline_data.report(session, f"http://separated-{i}.example.test/page").case
        hotline.assess(session, case, analyst, "csam", legal_basis="child-pornography", hosting_country="NL")
    matching_data.bank(session, "separated", matching_data.hexes(3, 7))
    blocklist.propose(session, analyst, "url", "http://separated-listed.example.test/page", "test entry")

    published = open_round(session, None, [2023], date(2024, 7, 31), today=date(2024, 6, 1))
    first, second = session.scalars(select(RoundEntry).where(RoundEntry.round_id == published.id)
                                    .order_by(RoundEntry.id).limit(2))
    entries.save_entry(session, first, None, Content("implemented", "accepted", ACCEPTED_TEXT, [], []), submit=True)
    entries.accept_entry(session, first, None)
    entries.save_entry(session, second, None, Content("implemented", "draft", DRAFT_TEXT, [], []))
    publish_round(session, None, published)
    opened = open_round(session, None, [2024], date(2025, 7, 31), today=date(2025, 6, 1))
    in_open = session.scalars(select(RoundEntry).where(RoundEntry.round_id == opened.id).order_by(RoundEntry.id)).first()
    assert in_open is not None
    entries.save_entry(session, in_open, None, Content("implemented", "draft", DRAFT_TEXT, [], []), submit=True)
    entries.accept_entry(session, in_open, None)  # accepted, but its round is not published
    made.published_round, made.open_round, made.accepted_entry = published.id, opened.id, first.id
    made.draft_entries = [second.id, in_open.id]
    from mamoru.followup import meetings
    from mamoru.followup.errata import add_erratum

    add_erratum(session, None, published, reason="separated", text_ja=ERRATUM_TEXT, entry_key=first.key)
    body = session.scalars(select(Body).order_by(Body.id)).first()
    assert body is not None
    for public, text_ja in ((True, PUBLIC_MEETING_TEXT), (False, PRIVATE_MEETING_TEXT)):
        meeting = meetings.record_meeting(session, None, date(2024, 9, 1), "Meeting", "会議", [body.key])
        meeting.public = public
        meetings.add_decision(session, None, meeting, "approve_round_report", "", text_ja, round_id=published.id)
        meetings.add_action(session, None, meeting, "", text_ja, first.measure.uid, "NPA", date(2025, 3, 31))

    uid_one, uid_two = (m.uid for m in session.scalars(select(Measure).order_by(Measure.id).limit(2)))
    shown = msvc.add_material(session, None, uid_one, "Published leaflet", "公開資料", "https://example.org/shown")
    msvc.set_published(session, None, shown, True)
    hidden = msvc.add_material(session, None, uid_one, "Draft leaflet", "下書き資料", "https://example.org/draft")
    made.published_material, made.draft_material = shown.id, hidden.id
    one, two = (session.scalars(select(Measure).where(Measure.uid == u)).one() for u in (uid_one, uid_two))
    psvc.set_status(session, None, one, "13", "done")
    psvc.set_status(session, None, two, "13", "in_progress")
    psvc.publish(session, None, one)
    made.published_prefectures, made.unpublished_prefectures = one.id, two.id
    agency = session.scalars(select(Agency).order_by(Agency.id)).first()
    assert agency is not None
    session.add(AgencyProfile(agency_id=agency.id, focal_point="Focal point", contact_email="focal@agency.example",
                              contact_phone="03-0000-0000"))
    session.add(Plan(key="separated-draft-plan", title_en="A plan in draft", title_ja="草案", status="draft"))
    _indicator_values(session, made)
    session.commit()
    return made


def _indicator_values(session: Session, made: Made) -> None:
    """An indicator with a value approved and then corrected (both public), one approved and then
    withdrawn (public, its withdrawal noted), a draft and a draft withdrawn (never public)."""
    from tests.factories.followup import public_value
    from tests.factories.users import user

    from mamoru.followup import indicator_values as ivals
    from mamoru.followup.indicators import define_indicator

    ind = define_indicator(session, None, INDICATOR, {"title_en": "Separated", "title_ja": "分離の指標",
                                                      "period_type": "calendar"})
    first = public_value(session, ind, "2020", APPROVED_VALUE, source="test")
    corrected = public_value(session, ind, "2020", CORRECTED_VALUE, corrects=first, source="test")
    withdrawn = public_value(session, ind, "2021", WITHDRAWN_VALUE, source="test")
    office = user(session, "coordinator")
    ivals.withdraw_value(session, office, ind, withdrawn, WITHDRAWN_REASON)
    draft = ivals.add_value(session, office, ind, "2022", DRAFT_VALUE, source="test", note=DRAFT_NOTE)
    dropped = ivals.add_value(session, office, ind, "2023", WITHDRAWN_DRAFT_VALUE, source="test", note=DRAFT_NOTE)
    ivals.withdraw_value(session, office, ind, dropped, "entered by mistake")
    made.public_values = [first.id, corrected.id, withdrawn.id]
    made.hidden_values = [draft.id, dropped.id]


@pytest.fixture(scope="module")
def separated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Made]]:
    """A fresh PostgreSQL database, migrated, the plan loaded, data in every domain, and every process
    role's user made by `mamoru db roles --apply`: (owner URL, role prefix, what was made)."""
    if not PG_URL:
        pytest.skip("needs MAMORU_TEST_POSTGRES_URL")
    from mamoru.migrate import upgrade
    from mamoru.plan.loader import load_plan

    url, drop = fresh_postgres_database("mamoru_sep")
    prefix = f"msep_{secrets.token_hex(3)}"
    owner = make_engine(url)
    try:
        upgrade(owner)
        with Database(owner).session() as s:
            load_plan(s, None)
            made = _data_in_every_domain(s)
        # PYTHONPATH passed on: the command run is the mamoru under test, not another installed copy
        env = {"MAMORU_VAR_DIR": str(tmp_path_factory.mktemp("roles")), "MAMORU_DATABASE_URL": url,
               "PATH": os.environ.get("PATH", ""), "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
        r = subprocess.run([sys.executable, "-m", "mamoru.cli", "db", "roles", "--prefix", prefix, "--apply"],
                           env=env, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        yield url, prefix, made
    finally:
        owner.dispose()
        drop_role_users(url, prefix)
        drop()


def test_portal_user_serves_pages_and_cannot_read_cases_banks_or_blocklist(separated: tuple[str, str, Made],
                                                                           tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from mamoru.web.app import create_app

    url, prefix, _ = separated
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
    # list's (the public notice page names the appeal contact) and the follow-up's (whose pages it
    # serves; its one setting is the reminders' lead time), never the hotline's or matching's.
    assert set(settings.domains) == {BlocklistSettings, FollowupSettings}
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
            conn.execute(text("SELECT count(*) FROM blocklist_artifacts"))  # the published files only
        for table in ("hl_cases", "blocklist_entries", "blocklist_appeals"):
            with feed_engine.connect() as conn, pytest.raises(ProgrammingError, match="permission denied"):
                conn.execute(text(f"SELECT * FROM {table} LIMIT 1"))
        with feed_engine.connect() as conn, pytest.raises(ProgrammingError, match="permission denied"):
            conn.execute(text("DELETE FROM audit_events"))
    finally:
        feed_engine.dispose()


def test_intake_user_serves_the_form_inserts_into_the_inbox_and_reads_nothing(separated: tuple[str, str, Made],
                                                                              tmp_path: Path) -> None:
    """The public intake as its own database user, with the shared (database) rate limiter and the
    hotline's public key only: the form works, the report lands in hl_inbox with its contact sealed,
    and that user can read no secret table, not even the inbox; the hotline's user drains it."""
    import re

    from fastapi.testclient import TestClient

    from mamoru.hotline import inbox
    from mamoru.hotline.contact_keys import ContactCipher
    from mamoru.hotline.models import Report
    from mamoru.hotline.settings import HotlineSettings
    from mamoru.mail import MemoryMailer
    from mamoru.web.app import create_app

    url, prefix, _ = separated
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
        # the status lookup works as this user, which reads no inbox, report or case (hl_receipt_status)
        looked = client.post("/api/v1/report/status", json={"receipt": receipt})
        assert looked.status_code == 200 and looked.json()["status"] == "received", looked.text
        assert client.post("/api/v1/report/status", json={"receipt": "R261202-ABCD-EFGH-JKMN-PQRS"}).status_code == 404
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
        with matcher_engine.connect() as conn, pytest.raises(ProgrammingError, match="permission denied"):
            conn.execute(text("SELECT hl_receipt_status(:r)"), {"r": receipt})  # the intake's and hotline's only
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


def test_grants_per_role_and_table_are_as_declared(separated: tuple[str, str, Made]) -> None:
    """Every table x privilege x process role, as PostgreSQL reports it after `mamoru db roles
    --apply`, equals the declared table above; sequences: USAGE exactly where the role INSERTs (nobody
    reads or sets one); the portal's row-secured tables have row-level security on, with one policy
    per role that touches them (the portal's for SELECT, with its condition)."""
    from mamoru.separation import PORTAL_ROWS

    url, prefix, _ = separated
    expected = parse_grants(EXPECTED_GRANTS)
    owner = create_engine(url)
    try:
        with owner.connect() as conn:
            actual = actual_grants(conn, prefix)
            columns = actual_column_updates(conn, prefix)
            column_selects = actual_column_updates(conn, prefix, "SELECT")
            sequences = actual_sequences(conn, prefix)
            secured = dict(conn.execute(text(
                "SELECT relname, relrowsecurity FROM pg_class WHERE relkind = 'r' "
                "AND relnamespace = 'public'::regnamespace")).all())
            policies = {(t, r): (cmd, qual) for t, r, cmd, qual in conn.execute(text(
                "SELECT tablename, unnest(roles)::text, cmd, qual FROM pg_policies WHERE schemaname = 'public'"))}
            functions = actual_functions(conn, prefix)
    finally:
        owner.dispose()
    differ = [f"{t}: declared {expected.get(t)}, PostgreSQL {actual.get(t)}"
              for t in sorted({*expected, *actual}) if expected.get(t) != actual.get(t)]
    assert differ == [], "\n".join(differ) + "\n\nas PostgreSQL has it:\n" + render_grants(actual)
    assert columns == EXPECTED_COLUMN_UPDATES
    assert column_selects == EXPECTED_COLUMN_SELECTS
    assert {(t, r) for t, row in expected.items() for r, cell in row.items() if "s" in cell} == set(column_selects)
    assert {(t, r) for t, row in expected.items() for r, cell in row.items() if "u" in cell} == set(columns)
    for seq, row in sequences.items():
        assert seq.endswith("_id_seq") and seq.removesuffix("_id_seq") in expected, seq
        inserts = expected[seq.removesuffix("_id_seq")]
        assert row == {r: "U" if "I" in inserts[r] else "-" for r in ROLES}, (seq, row)
    assert {t for t, on in secured.items() if on} == set(PORTAL_ROWS)
    assert functions == EXPECTED_FUNCTIONS
    for table, condition in PORTAL_ROWS.items():
        readers = {r for r in ROLES if expected[table][r] != "-"}
        assert {r.removeprefix(f"{prefix}_") for t, r in policies if t == table and r.startswith(prefix)} == readers
        cmd, qual = policies[(table, f"{prefix}_portal")]
        assert cmd == "SELECT" and qual not in (None, "true"), (table, cmd, qual, condition)
        for role in readers - {"portal"}:
            assert policies[(table, f"{prefix}_{role}")] == ("ALL", "true")


def test_no_process_but_the_account_managers_can_make_a_token_or_change_an_account(
        separated: tuple[str, str, Made]) -> None:
    """The reported takeover: as the feed's user, a token inserted for an analyst. Now the matcher's and
    the feed's users may only read tokens and note their use; the office and hotline users may create
    users and tokens and revoke tokens (their pages do); the office alone changes an account's role
    and activity (the account's page), nobody its username or password, nor a token's scopes or
    expiry, and nobody deletes either."""
    url, prefix, _ = separated
    attempts = {
        "insert a token": "INSERT INTO api_tokens (user_id, name, prefix, secret_hash, scopes, created_at) "
                          "SELECT id, 'x', 'mmr_x', md5(random()::text), '[\"hotline:read\"]', now() FROM users LIMIT 1",
        "widen a token": "UPDATE api_tokens SET scopes = '[\"hotline:read\"]'",
        "revive a token": "UPDATE api_tokens SET expires_at = NULL",
        "revoke tokens": "UPDATE api_tokens SET revoked_at = now()",
        "delete tokens": "DELETE FROM api_tokens",
        "change a role": "UPDATE users SET role = 'administrator'",
        "set a password": "UPDATE users SET password_hash = 'x'",
        "rename a user": "UPDATE users SET username = username || 'x'",
        "deactivate a user": "UPDATE users SET active = false",
        "delete users": "DELETE FROM users",
        "insert a user": "INSERT INTO users (username, display_name, email, role, password_hash, active, created_at) "
                         "VALUES ('intruder', '', '', 'administrator', 'x', true, now())",
        "forge a session": "INSERT INTO web_sessions (key_hash, user_id, csrf_token, created_at, last_seen_at, expires_at) "
                           "SELECT md5(random()::text), id, 'c', now(), now(), now() + interval '1 day' FROM users LIMIT 1",
        "hand a session over": "UPDATE web_sessions SET user_id = user_id",
    }
    manage = {"insert a token", "revoke tokens", "insert a user", "forge a session"}  # their pages do these
    # the office serves an account's page: role, agency, display name, e-mail, activity
    allowed = {"office": manage | {"change a role", "deactivate a user"}, "hotline": manage}
    for role in ("office", "hotline", "matcher", "feed", "portal", "intake", "office_worker"):
        engine = create_engine(as_user(url, f"{prefix}_{role}"))
        try:
            for what, sql in attempts.items():
                with engine.connect() as conn:
                    if what in allowed.get(role, set()):
                        conn.execute(text(sql))  # rolled back
                        conn.rollback()
                        continue
                    with pytest.raises(ProgrammingError, match="permission denied"):
                        conn.execute(text(sql))
            if role in ("office", "hotline", "matcher", "feed"):
                with engine.connect() as conn:  # what checking a token writes
                    conn.execute(text("UPDATE api_tokens SET last_used_at = now()"))
                    conn.rollback()
        finally:
            engine.dispose()


def test_portal_user_sees_published_rows_only(separated: tuple[str, str, Made], tmp_path: Path) -> None:
    """Row-level security: the portal's user reads the published round and its accepted entry, never a
    draft entry (in the published round or in an open one), a draft material, an unpublished
    prefecture table, a draft plan; agencies' contacts and entry histories not at all. The office's
    user reads every row. The portal's pages still answer with the published data."""
    from fastapi.testclient import TestClient

    from mamoru.web.app import create_app

    url, prefix, made = separated
    queries = {
        "rounds": "SELECT id FROM fu_rounds ORDER BY id",
        "entries": "SELECT id FROM fu_entries ORDER BY id",
        "materials": "SELECT id FROM fu_awareness_materials ORDER BY id",
        "prefectures": "SELECT DISTINCT measure_id FROM fu_prefecture_status ORDER BY 1",
        "plans": "SELECT key FROM plans ORDER BY key",
        "draft texts": "SELECT id FROM fu_entries WHERE narrative_ja LIKE '%separated-draft%'",
        "decisions": "SELECT text_ja FROM fu_decisions WHERE text_ja LIKE '%separated-%' ORDER BY text_ja",
        "actions": "SELECT text_ja FROM fu_action_items WHERE text_ja LIKE '%separated-%' ORDER BY text_ja",
        "errata": "SELECT text_ja FROM fu_round_errata ORDER BY id",
        "values": f"SELECT v.id FROM fu_indicator_values v JOIN fu_indicators i ON i.id = v.indicator_id "
                  f"WHERE i.code = '{INDICATOR}' ORDER BY v.id",
        "draft values": "SELECT value FROM fu_indicator_values WHERE review = 'draft' OR approved_at IS NULL "
                        f"OR note = '{DRAFT_NOTE}'",
    }

    def read(role: str | None) -> dict[str, list[object]]:
        engine = create_engine(as_user(url, f"{prefix}_{role}") if role else url)
        try:
            with engine.connect() as conn:
                return {k: list(conn.scalars(text(q))) for k, q in queries.items()}
        finally:
            engine.dispose()

    everything, office, portal = read(None), read("office"), read("portal")
    owner = create_engine(url)
    try:
        with owner.connect() as conn:
            everything_in_round = list(conn.scalars(text("SELECT id FROM fu_entries WHERE round_id = :r"),
                                                    {"r": made.published_round}))
    finally:
        owner.dispose()
    assert office == everything
    assert {made.open_round, made.published_round} <= set(everything["rounds"])
    assert set(made.draft_entries) <= set(everything["entries"]) and len(everything["draft texts"]) == 2
    assert "separated-draft-plan" in everything["plans"]
    assert portal["rounds"] == [made.published_round]
    assert portal["entries"] == [made.accepted_entry]
    assert portal["draft texts"] == []
    assert portal["decisions"] == portal["actions"] == [PUBLIC_MEETING_TEXT] and portal["errata"] == [ERRATUM_TEXT]
    assert len(everything["decisions"]) == 2
    assert portal["materials"] == [made.published_material]
    assert portal["prefectures"] == [made.published_prefectures]
    assert "separated-draft-plan" not in portal["plans"] and portal["plans"]
    assert everything["values"] == sorted(made.public_values + made.hidden_values)
    assert sorted(everything["draft values"]) == [DRAFT_VALUE, WITHDRAWN_DRAFT_VALUE]
    assert portal["values"] == made.public_values and portal["draft values"] == []
    engine = create_engine(as_user(url, f"{prefix}_portal"))
    try:
        with engine.connect() as conn:  # every measure of a decided plan is there
            assert conn.execute(text("SELECT count(*) FROM measures")).scalar_one() > 0
        for table in ("agency_profiles", "fu_entry_versions", "fu_meeting_corrections", "fu_body_profiles",
                      "fu_maturity"):
            with engine.connect() as conn, pytest.raises(ProgrammingError, match="permission denied"):
                conn.execute(text(f"SELECT * FROM {table} LIMIT 1"))
    finally:
        engine.dispose()
    settings = load_settings({"MAMORU_ROLE": "portal", "MAMORU_DATABASE_URL": as_user(url, f"{prefix}_portal"),
                              "MAMORU_VAR_DIR": str(tmp_path), "MAMORU_SECRET_KEY": "portal-secret"})
    with TestClient(create_app(settings)) as client:
        home = client.get("/portal")
        assert home.status_code == 200 and f"/portal/rounds/{made.published_round}" in home.text
        assert f"/portal/rounds/{made.open_round}" not in home.text
        page = client.get(f"/portal/rounds/{made.published_round}")
        assert page.status_code == 200, page.text[:300]
        assert ACCEPTED_TEXT in page.text and DRAFT_TEXT not in page.text
        # the coverage counts every entry of the round, not the accepted ones the portal's user may read
        assert f"（全{len(everything_in_round)}件中1件）" in page.text and len(everything_in_round) > 1
        assert client.get(f"/portal/rounds/{made.open_round}").status_code == 404
        assert ERRATUM_TEXT in page.text and PUBLIC_MEETING_TEXT not in page.text  # the meeting's title is shown
        history = client.get(f"/api/v1/measures/{_measure_of(url, made.accepted_entry)}/history")
        assert history.status_code == 200, history.text[:300]
        told = str(history.json())
        assert ACCEPTED_TEXT in told and ERRATUM_TEXT in told and PUBLIC_MEETING_TEXT in told
        assert DRAFT_TEXT not in told and PRIVATE_MEETING_TEXT not in told
        listing = client.get("/portal/data")
        assert listing.status_code == 200 and f"/portal/data/round-{made.published_round}.csv" in listing.text
        assert f"round-{made.open_round}" not in listing.text
        data = client.get(f"/portal/data/round-{made.published_round}.csv")
        assert data.status_code == 200 and ACCEPTED_TEXT in data.text and DRAFT_TEXT not in data.text
        assert client.get(f"/portal/data/round-{made.open_round}.json").status_code == 404
        for path in ("/portal/data/plan.csv", "/portal/data/indicators.json"):
            assert client.get(path).status_code == 200, path
        awareness = client.get("/portal/awareness")
        assert awareness.status_code == 200 and "公開資料" in awareness.text and "下書き資料" not in awareness.text
        materials = client.get("/api/v1/followup/materials").json()
        assert [m["id"] for m in materials] == [made.published_material]
        assert client.get(f"/api/v1/followup/materials/{made.draft_material}").status_code == 404
        shown = client.get("/api/v1/followup/prefectures")
        assert shown.status_code == 200 and len(shown.json()) == 1
        plans = client.get("/api/v1/plans").json()
        assert plans and "separated-draft-plan" not in [p["key"] for p in plans]
        assert client.get("/api/v1/plans/separated-draft-plan").status_code == 404
        for page_path in ("/portal/help", "/portal/indicators", "/agencies", "/timeline", "/definitions", "/"):
            assert client.get(page_path).status_code == 200, page_path
        _indicator_served_published_only(client)


def _indicator_served_published_only(client: Any) -> None:
    """The indicator's page, downloads and API as the portal's user: the corrected value with the one
    it corrects, the withdrawal with its reason, no draft."""
    page = client.get(f"/portal/indicators/{INDICATOR}")
    assert page.status_code == 200, page.text[:300]
    assert WITHDRAWN_REASON in page.text and "1,212" in page.text and DRAFT_NOTE not in page.text
    assert "4,747" not in page.text and "4,848" not in page.text
    data = client.get(f"/portal/indicators/{INDICATOR}/data.json")
    assert data.status_code == 200
    shown = data.json()
    assert [(v["period"], v["value"], v["corrects"]) for v in shown["values"]] == [
        ("2020", CORRECTED_VALUE, [APPROVED_VALUE])]
    assert [(w["period"], w["reason"]) for w in shown["withdrawn"]] == [("2021", WITHDRAWN_REASON)]
    csv = client.get(f"/portal/indicators/{INDICATOR}/data.csv")
    assert csv.status_code == 200 and "1212" in csv.text and "4747" not in csv.text and "4848" not in csv.text
    api = client.get(f"/api/v1/followup/indicators/{INDICATOR}")
    assert api.status_code == 200, api.text[:300]
    told = api.json()
    assert sorted(v["value"] for v in told["values"]) == [APPROVED_VALUE, CORRECTED_VALUE]
    assert [w["reason"] for w in told["withdrawn"]] == [WITHDRAWN_REASON]
    everything = client.get("/portal/data/indicators.json")
    assert everything.status_code == 200 and "4747" not in everything.text and "1212" in everything.text


def _measure_of(url: str, entry_id: int) -> str:
    """The stable id of an entry's measure, read as the owner."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SELECT m.uid FROM fu_entries e JOIN measures m ON m.id = e.measure_id "
                                         "WHERE e.id = :e"), {"e": entry_id}).scalar_one())
    finally:
        engine.dispose()


def test_feed_and_matcher_take_tokens_and_ignore_session_cookies(separated: tuple[str, str, Made],
                                                                 tmp_path: Path) -> None:
    """The feed's process, as its own database user, authenticates a Bearer token (noting its use in
    last_used_at, the one column it may update) and answers a session cookie as anonymous (401), not
    with a 500 for a table its user may not read; the matcher's likewise."""
    from fastapi.testclient import TestClient

    from mamoru.web.app import create_app

    url, prefix, made = separated
    for role, path in (("feed", "/api/v1/blocklist/access-log"), ("matcher", "/api/v1/match/banks")):
        settings = load_settings({"MAMORU_ROLE": role, "MAMORU_DATABASE_URL": as_user(url, f"{prefix}_{role}"),
                                  "MAMORU_VAR_DIR": str(tmp_path / role), "MAMORU_SECRET_KEY": f"{role}-secret"})
        with TestClient(create_app(settings)) as client:
            assert client.get(path, headers={"Cookie": "mamoru_session=made-up"}).status_code == 401
            if role == "feed":
                r = client.get(path, headers={"Authorization": f"Bearer {made.admin_token}"})
                assert r.status_code == 200, r.text[:300]
    owner = create_engine(url)
    try:
        with owner.connect() as conn:
            used = conn.execute(text("SELECT last_used_at FROM api_tokens WHERE name = 'admin'")).scalar_one()
        assert used is not None
    finally:
        owner.dispose()


def test_db_roles_without_createrole_says_what_is_missing(separated: tuple[str, str, Made], tmp_path: Path) -> None:
    """`mamoru db roles --apply` as a user who may not create roles (and owns no table): exit 1 naming
    CREATEROLE and the tables it does not own, no traceback, nothing made."""
    url, _, _ = separated
    weak = f"mweak_{secrets.token_hex(3)}"
    prefix = f"mnone_{secrets.token_hex(3)}"
    admin = create_engine(url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE ROLE {weak} LOGIN NOCREATEROLE"))
        env = {"MAMORU_VAR_DIR": str(tmp_path), "MAMORU_DATABASE_URL": as_user(url, weak), "PATH": os.environ.get("PATH", ""),
               "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
        r = subprocess.run([sys.executable, "-m", "mamoru.cli", "db", "roles", "--prefix", prefix, "--apply"],
                           env=env, capture_output=True, text=True, timeout=120)
        assert r.returncode == 1, (r.returncode, r.stderr)
        assert "Traceback" not in r.stderr
        assert "CREATEROLE" in r.stderr and f"{prefix}_portal" in r.stderr and weak in r.stderr
        assert "does not own the tables" in r.stderr
        with admin.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM pg_roles WHERE rolname LIKE :p"),
                                {"p": f"{prefix}%"}).scalar_one() == 0
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP OWNED BY {weak}"))
            conn.execute(text(f"DROP ROLE IF EXISTS {weak}"))
        admin.dispose()


def test_the_office_workers_user_sends_reminders_and_reads_nothing_else(separated: tuple[str, str, Made]) -> None:
    """The production layout's office-worker connects as PREFIX_office_worker: with those grants the
    reminder job runs (an English-preferring officer of an agency with entries still to submit gets
    an English reminder, recorded once, and the job's round is recorded for the health check), and
    that user reads no password hash, no case, no entry history and changes no entry or reminder."""
    from datetime import UTC, datetime

    from sqlalchemy import select
    from tests.factories import users

    from mamoru import workers
    from mamoru.auth import roles
    from mamoru.followup.models import RoundEntry
    from mamoru.followup.reminders import send_reminders
    from mamoru.mail import MemoryMailer
    from mamoru.plan.models import Agency

    url, prefix, made = separated
    owner = Database(make_engine(url))
    try:
        with owner.session() as s:
            code = s.scalars(select(Agency.code).join(RoundEntry, RoundEntry.agency_id == Agency.id).where(
                RoundEntry.round_id == made.open_round, RoundEntry.state == "draft")).first()
            assert code is not None
            officer = users.user(s, roles.AGENCY_OFFICER, agency=code, email="worker-en@example.test", lang="en")
            name = officer.username
    finally:
        owner.engine.dispose()
    worker_db = Database(make_engine(as_user(url, f"{prefix}_office_worker")))
    try:
        mail = MemoryMailer()
        with worker_db.session() as s:
            done = send_reminders(s, mail, 7)
        mine = [m for m in mail.sent if m.to == "worker-en@example.test"]
        assert done.failed == 0 and len(mine) == 1
        assert mine[0].subject == "[mamoru] FY2024: the due date (July 31, 2025) has passed", mine[0].subject
        with worker_db.session() as s:
            assert send_reminders(s, MemoryMailer(), 7).sent == {"before_due": 0, "overdue": 0}  # once
        workers.record_round(worker_db, "followup-reminders", datetime.now(UTC), 60, done.line())
        for sql in ("SELECT password_hash FROM users", "SELECT * FROM users", "SELECT * FROM hl_cases",
                    "SELECT * FROM fu_entry_versions", "SELECT * FROM api_tokens", "UPDATE fu_entries SET state = state",
                    f"DELETE FROM fu_round_reminders WHERE username = '{name}'",
                    "UPDATE fu_round_reminders SET kind = kind", "INSERT INTO audit_events (actor) VALUES ('x')"):
            with worker_db.engine.connect() as conn, pytest.raises(ProgrammingError, match="permission denied"):
                conn.execute(text(sql))
    finally:
        worker_db.engine.dispose()


def test_token_processes_read_every_column_the_orm_loads_of_a_user_but_the_password_hash() -> None:
    """The matcher's and feed's users get SELECT on the columns a token's owner is loaded with (a
    column added to users, loaded by the ORM, would fail there): password_hash is deferred, not one."""
    from sqlalchemy import inspect

    from mamoru.auth.models import User
    from mamoru.separation import TOKEN_USER_COLUMNS, privileges

    loaded = {a.key for a in inspect(User).column_attrs if not a.deferred}
    assert set(TOKEN_USER_COLUMNS) == loaded and "password_hash" not in loaded
    assert set(TOKEN_OWNER) == {c.name for c in User.__table__.columns} - {"password_hash"}
    for role in ("matcher", "feed"):
        assert privileges(role)["users"] == (f"SELECT ({', '.join(TOKEN_USER_COLUMNS)})",)


def test_matcher_and_feed_users_check_tokens_without_reading_password_hashes(separated: tuple[str, str, Made]) -> None:
    """The reported leak: the matcher's and feed's users could read every account's password hash.
    Now `SELECT password_hash FROM users` (or `*`) is permission denied for them, while a token's
    lookup works as each process does it: the matcher's Core statement (matching.callers) and the
    feed's ORM lookup (auth.service.find_token, the owner loaded without the deferred hash)."""
    from mamoru.auth import service as auth
    from mamoru.matching.callers import token_caller

    url, prefix, made = separated
    for role in ("matcher", "feed"):
        db = Database(make_engine(as_user(url, f"{prefix}_{role}")))
        try:
            for sql in ("SELECT password_hash FROM users", "SELECT * FROM users",
                        "SELECT username FROM users WHERE password_hash LIKE '%'"):
                with db.engine.connect() as conn, pytest.raises(ProgrammingError, match="permission denied"):
                    conn.execute(text(sql))
            if role == "matcher":  # its match API's hot path (it alone reads the platforms' banks)
                with db.engine.begin() as conn:
                    caller = token_caller(conn, made.admin_token)
                    assert caller is not None and caller.role == "administrator"
                    assert token_caller(conn, "mmr_made-up") is None
            with db.session() as s:
                token = auth.find_token(s, made.admin_token)
                assert token is not None and token.user.role == "administrator" and token.name == "admin"
                assert token.user.username.startswith("administrator-")
                assert auth.find_token(s, "mmr_made-up") is None
                s.commit()
        finally:
            db.engine.dispose()
