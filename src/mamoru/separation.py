"""PostgreSQL users and grants per process role, so a process can read only what its role needs.

mamoru runs as separate processes (MAMORU_ROLE: portal, office, hotline, intake, matcher, feed). Settings
keep the credentials apart; this module makes the database enforce it too. A role's grants are, for
each table, the privileges SELECT, INSERT, UPDATE, DELETE, or SELECT or UPDATE of named columns only:

- whole domains, by the module that defines their models (`read`: SELECT, `write`: INSERT, UPDATE,
  DELETE), so a table added to a domain follows its domain's grants without anyone editing a list;
- single tables (`tables`), for everything narrower: the accounts tables (no role gets them whole),
  the public portal's published tables, the intake's inbox, counters.

What each role gets (docs/security.md has the table, tests/security/test_separation.py checks it
against PostgreSQL):

- portal: SELECT on the public plan and follow-up tables only, and on some of them only the published
  rows (row-level security, `PORTAL_ROWS`: published rounds and their accepted entries, published
  prefecture tables, approved indicator values and published ones later withdrawn, published awareness
  material, active help services, decided plans); nothing of
  agencies' contacts, entry histories, meetings, self-assessments, accounts, audit log, hotline,
  banks or blocking list;
- intake (the public report form alone): INSERT on the hotline's inbox (hl_inbox) and USAGE on its
  id sequence, nothing else of any domain: no SELECT even on hl_inbox, so it cannot read back what
  others reported; plus the rate-limit counters (hl_rate_counters); and EXECUTE on
  hl_receipt_status(text) (migration hl0007), which answers one coarse word for one receipt (the
  reporter's status lookup) as the tables' owner, so the intake reads no case or report to give it;
- office, hotline (they serve the sign-in page and manage accounts): read and write their own
  domains (the hotline also reads agencies and the plan's definitions, and publishes its figures
  into fu_published_figures); on the accounts tables what sign-in and account management need:
  read users and tokens, create users and tokens (the administrator's user pages, the account
  page's tokens), update a token's last_used_at and revoked_at only (use, revocation), sessions (open, slide: last_seen_at and
  expires_at only, close, delete expired), failed-login counters (insert, count, clear), form
  drafts (insert, read, delete: sealed with a key only the browser holds); the office alone, which
  serves an account's page (web/auth ui_users, api_users), also UPDATEs a user's role,
  agency_code, display_name, email, preferred_lang and active, and no other column of users; nobody UPDATEs a
  user's username or password (passwords are a command-line operation, run as the owner), nor a
  token's scopes, owner, secret or expiry, nor DELETEs either;
- matcher, feed (API tokens only, no sign-in page, no web sessions): read tokens and, of users, the
  columns a token's owner is loaded with (SELECT of named columns: never the password hash), update
  a token's last_used_at; the matcher reads the matching tables (the hash banks only read), writes
  its own state and counters, and may INSERT into hl_inbox (platforms' match reports) and read
  nothing there; the feed reads the published files of the blocking list (blocklist_publications,
  blocklist_artifacts: not the entries, their reasons or the appeals) and what each subscriber may
  fetch (blocklist_subscriptions), and appends to its access log (blocklist_feed_access);
- office_worker (not a process role: the database user of the office's worker, `mamoru work` with
  MAMORU_ROLE=office, which runs the follow-up's reminders only): reads open rounds, their entries
  and agencies, of users only the columns a reminder needs (SELECT of named columns: never a
  password hash), records the reminders it sends (SELECT, INSERT on fu_round_reminders) and its
  rounds (worker_rounds); nothing else, no audit log;
- every role but portal, intake and office_worker appends to the audit log (INSERT and SELECT only: no role gets
  UPDATE or DELETE on audit_events, so the chain stays append-only at the database too).

A role gets USAGE on the id sequence of each table it may INSERT into, and no other sequence; it
may EXECUTE the functions of `functions` only (the migrations revoke EXECUTE from PUBLIC; the
hotline, which serves the status lookup too and reads the tables anyway, gets it as the intake does).

`mamoru db roles` prints the SQL (or applies it with --apply, as the database owner: a user who may
create roles, CREATEROLE or superuser, and owns the tables). Roles are created without a password:
set one with ALTER ROLE, or use certificate or peer authentication. Row-level security exists on
PostgreSQL only: on SQLite there are no database users, and the processes are separated by their
settings alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

PLAN = "mamoru.plan.models"
FOLLOWUP = "mamoru.followup.models"
AUTH = "mamoru.auth.models"
AUDIT = "mamoru.audit"
HOTLINE = "mamoru.hotline.models"
MATCHING = "mamoru.matching.models"
BLOCKLIST = "mamoru.blocklist.models"
ALEMBIC = "alembic_version"
INBOX = "hl_inbox"
RATE_COUNTERS = "hl_rate_counters"
PUBLISHED_FIGURES = "fu_published_figures"  # the hotline worker publishes its figures for the portal here
FEED_ACCESS = "blocklist_feed_access"
WORKER_ROUNDS = "worker_rounds"  # every process's health check reads it; the worker (hotline role) writes it
RECEIPT_STATUS = "hl_receipt_status(text)"  # a report's coarse state for its receipt (hotline.receipts)
PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE")

Privileges = tuple[str, ...]
"""Privileges on one table: "SELECT", "INSERT", "UPDATE", "DELETE", or "SELECT (col, col)", "UPDATE (col, col)"."""


def _frozen(d: dict[str, Privileges]) -> Mapping[str, Privileges]:
    return MappingProxyType(d)


@dataclass(frozen=True)
class RoleGrants:
    """What one process role may do: domain modules it reads and writes whole, plus single tables."""

    read: frozenset[str] = frozenset()
    write: frozenset[str] = frozenset()
    audit_append: bool = False
    tables: Mapping[str, Privileges] = field(default_factory=lambda: _frozen({}))
    functions: frozenset[str] = frozenset()  # "name(argument types)": EXECUTE


READ = ("SELECT",)
WHOLE = ("SELECT", "INSERT", "UPDATE", "DELETE")
TOKEN_USE = ("SELECT", "UPDATE (last_used_at)")
TOKEN_USER_COLUMNS = ("active", "agency_code", "created_at", "created_by_id", "display_name", "email", "id",
                      "preferred_lang", "role", "username")
"""What a token check reads of its owner: the columns the ORM loads of a User (auth.service.find_token;
password_hash is deferred, so not among them) and more than matching.callers' Core lookup needs."""
# Processes that take API tokens only (matcher, feed): check a token and its owner, note its use;
# of users the owner's columns only, never the password hash.
TOKEN_LOGIN: dict[str, Privileges] = {"users": (f"SELECT ({', '.join(TOKEN_USER_COLUMNS)})",),
                                      "api_tokens": TOKEN_USE}
# Processes with the sign-in page and the account pages (office, hotline; web/auth ROUTES).
SIGN_IN: dict[str, Privileges] = {
    "users": ("SELECT", "INSERT"),  # the administrator's user pages and API create accounts
    # the account page and the administrator's API create and revoke tokens; use is noted
    "api_tokens": ("SELECT", "INSERT", "UPDATE (last_used_at, revoked_at)"),
    "web_sessions": ("SELECT", "INSERT", "UPDATE (last_seen_at, expires_at)", "DELETE"),  # open, slide, close, expire
    "login_attempts": ("SELECT", "INSERT", "DELETE"),  # failed logins: counted, cleared on success
    "form_drafts": ("SELECT", "INSERT", "DELETE"),  # a form sent after the session ended, kept sealed (web.drafts)
}
ACCOUNT_CHANGE = f"UPDATE ({', '.join(sorted(('role', 'agency_code', 'display_name', 'email', 'preferred_lang', 'active')))})"
"""What the office changes of an account (web/auth ui_users, api_users: auth.service.EDITABLE and
`active`; the user's own language on the account page); never its username, password, creator or
creation time."""
OFFICE_SIGN_IN: dict[str, Privileges] = {**SIGN_IN, "users": ("SELECT", "INSERT", ACCOUNT_CHANGE)}

PORTAL_PLAN = ("agencies", "agency_successions", "bodies", "plans", "measure_origins", "pillars", "measures",
               "measure_assignments", "measure_lineage", "measure_amendments", "definition_terms", "prefectures",
               "timeline_events")
PORTAL_FOLLOWUP = ("fu_entry_statuses", "fu_rounds", "fu_entries", "fu_indicators", "fu_indicator_values",
                   PUBLISHED_FIGURES, "fu_prefecture_status", "fu_prefecture_publications", "fu_consultation_services",
                   "fu_awareness_materials", "fu_round_errata", "fu_meetings", "fu_decisions", "fu_action_items",
                   "fu_capabilities", "fu_measure_capabilities")
"""What the portal's pages and public API read (web/portal, web/plan, web/blocklist/notice). Meetings,
their decisions and action items (public meetings only: a report's approving meeting, a measure's
history) and the MNR capabilities a measure addresses are there; not agency_profiles (agencies' focal
points and contacts), fu_entry_versions (every saved draft), meeting corrections, body profiles, the
MNR self-assessments."""

PORTAL_ROWS: Mapping[str, str] = MappingProxyType({
    "plans": "status <> 'draft'",
    "pillars": "plan_id IN (SELECT id FROM plans)",
    "measures": "plan_id IN (SELECT id FROM plans)",
    "measure_assignments": "measure_id IN (SELECT id FROM measures)",
    "measure_lineage": "measure_id IN (SELECT id FROM measures)",
    "measure_amendments": "measure_id IN (SELECT id FROM measures)",
    "fu_rounds": "state = 'published'",
    "fu_entries": "state = 'accepted' AND round_id IN (SELECT id FROM fu_rounds)",
    "fu_prefecture_status": "measure_id IN (SELECT measure_id FROM fu_prefecture_publications)",
    # approved values (superseded ones too: "corrects ...") and published values later withdrawn (the
    # public page notes the withdrawal), as followup.indicators.public_values asks; never a draft
    "fu_indicator_values": "approved_at IS NOT NULL AND review IN ('approved', 'withdrawn')",
    "fu_consultation_services": "active",
    "fu_awareness_materials": "published AND retired_at IS NULL",
    "fu_round_errata": "round_id IN (SELECT id FROM fu_rounds)",
    "fu_meetings": "public",
    "fu_decisions": "meeting_id IN (SELECT id FROM fu_meetings)",
    "fu_action_items": "meeting_id IN (SELECT id FROM fu_meetings)",
    "fu_measure_capabilities": "measure_id IN (SELECT id FROM measures)",
})
"""Rows the portal's user sees of these tables (row-level security; the subqueries read through the
portal's own policies, so a measure of a draft plan is hidden with its plan). The portal's queries
ask for the same rows (publication.published_rounds, report.build(public=True), materials(published_only),
indicators.public_values...);
the policy makes the database refuse the rest even if a query forgot to."""

REMINDER_USER_COLUMNS = ("active", "agency_code", "email", "preferred_lang", "role", "username")
"""What the follow-up's reminders read of an account (followup.reminders.Officer and its query)."""
REMINDER_JOB: dict[str, Privileges] = {
    "fu_rounds": READ, "fu_entries": READ, "agencies": READ,  # open rounds, entries still to submit, by agency
    "users": (f"SELECT ({', '.join(REMINDER_USER_COLUMNS)})",),  # the officers: no password hash, no creator
    "fu_round_reminders": ("SELECT", "INSERT"),  # what was sent, once (never changed or deleted)
    WORKER_ROUNDS: ("SELECT", "INSERT", "UPDATE"),  # its round, for /api/v1/health
}
"""The office worker (`mamoru work` as MAMORU_ROLE=office, the production layout's office-worker):
the follow-up's reminder job and nothing else; no audit (the job records nothing there)."""

MATCHER_STATE = ("match_state", "match_snapshots", "match_platform_banks", "match_query_counts", "match_counts")
"""What the matcher writes: the change number and snapshots of its index, the platforms' choice of
banks, and the counters; it only reads the banks (hash_banks, hash_bank_entries: the hotline keeps them)."""

PROCESS_GRANTS: dict[str, RoleGrants] = {
    "portal": RoleGrants(tables=_frozen({t: READ for t in (*PORTAL_PLAN, *PORTAL_FOLLOWUP, WORKER_ROUNDS)})),
    "office": RoleGrants(read=frozenset({PLAN, FOLLOWUP}), write=frozenset({PLAN, FOLLOWUP}), audit_append=True,
                         tables=_frozen({**OFFICE_SIGN_IN, WORKER_ROUNDS: READ})),
    "hotline": RoleGrants(read=frozenset({HOTLINE, MATCHING, BLOCKLIST}),
                          write=frozenset({HOTLINE, MATCHING, BLOCKLIST}), audit_append=True,
                          tables=_frozen({**SIGN_IN, PUBLISHED_FIGURES: WHOLE, WORKER_ROUNDS: WHOLE,
                                          "agencies": READ,  # an agency officer's account names an agency
                                          "definition_terms": READ}),  # legal bases in assessments and notices
                          functions=frozenset({RECEIPT_STATUS})),
    # not a MAMORU_ROLE: the database user of the office's worker process (it runs as MAMORU_ROLE=office)
    "office_worker": RoleGrants(tables=_frozen(REMINDER_JOB)),
    "intake": RoleGrants(tables=_frozen({INBOX: ("INSERT",), RATE_COUNTERS: WHOLE, WORKER_ROUNDS: READ}),
                         functions=frozenset({RECEIPT_STATUS})),
    "matcher": RoleGrants(read=frozenset({MATCHING}), audit_append=True,
                          tables=_frozen({**TOKEN_LOGIN, INBOX: ("INSERT",), **{t: WHOLE for t in MATCHER_STATE},
                                          WORKER_ROUNDS: READ})),
    "feed": RoleGrants(audit_append=True,
                       tables=_frozen({**TOKEN_LOGIN, "blocklist_publications": READ, "blocklist_artifacts": READ,
                                       "blocklist_subscriptions": READ,  # what each subscriber may fetch
                                       FEED_ACCESS: ("SELECT", "INSERT"), WORKER_ROUNDS: READ})),
}

_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,40}$")


def tables_by_module() -> dict[str, list[str]]:
    """Every mapped table, grouped by the module of its model class (sorted)."""
    import mamoru.models_registry  # noqa: F401  (fills Base's registry)
    from mamoru.db import Base

    out: dict[str, list[str]] = {}
    for mapper in Base.registry.mappers:
        table = mapper.local_table
        name = getattr(table, "name", None)
        if name is None:
            continue
        out.setdefault(mapper.class_.__module__, []).append(str(name))
    mapped = {t for tables in out.values() for t in tables}
    unmapped = sorted(t for t in Base.metadata.tables if t not in mapped)
    if unmapped:
        raise RuntimeError(f"tables without a model class, so without a domain: {', '.join(unmapped)}")
    return {module: sorted(set(tables)) for module, tables in out.items()}


def privileges(role: str) -> dict[str, Privileges]:
    """Every table the role may touch, with its privileges (table-level first, then column-level
    SELECT or UPDATE; a privilege on the whole table replaces the same one of columns), sorted by table."""
    grants = PROCESS_GRANTS[role]
    by_module = tables_by_module()
    known = {t for tables in by_module.values() for t in tables}
    unknown = sorted(t for t in grants.tables if t not in known)
    if unknown:
        raise RuntimeError(f"{role}: grants on tables no model defines: {', '.join(unknown)}")
    out: dict[str, list[str]] = {}

    def add(table: str, privs: Privileges) -> None:
        have = out.setdefault(table, [])
        have.extend(p for p in privs if p not in have)

    add(ALEMBIC, READ)
    for module in sorted(grants.read):
        for table in by_module.get(module, []):
            add(table, READ)
    for module in sorted(grants.write):
        for table in by_module.get(module, []):
            add(table, ("INSERT", "UPDATE", "DELETE"))
    if grants.audit_append:
        add("audit_events", ("SELECT", "INSERT"))
    for table, privs in grants.tables.items():
        add(table, privs)

    def order(p: str) -> tuple[int, str]:
        return (PRIVILEGES.index(p) if p in PRIVILEGES else len(PRIVILEGES), p)

    result: dict[str, Privileges] = {}
    for table in sorted(out):
        held = out[table]
        for whole in ("SELECT", "UPDATE"):
            if whole in held:
                held = [p for p in held if not p.startswith(f"{whole} (")]
        result[table] = tuple(sorted(held, key=order))
    return result


def tables_for(role: str) -> tuple[list[str], list[str]]:
    """(tables the role may read, tables it may write in any way) for a process role."""
    grants = privileges(role)
    read = [t for t, p in grants.items() if "SELECT" in p and t != ALEMBIC]
    write = [t for t, p in grants.items() if any(x.split(" ")[0] in ("INSERT", "UPDATE", "DELETE") for x in p)]
    return read, write


def serial_sequences(table: str) -> list[str]:
    """The sequences behind a table's SERIAL id columns (PostgreSQL names them <table>_<column>_seq)."""
    import mamoru.models_registry  # noqa: F401
    from mamoru.db import Base

    t = Base.metadata.tables.get(table)
    if t is None:
        return []
    cols = list(t.primary_key.columns)
    if len(cols) != 1:
        return []
    col = cols[0]
    serial = col.autoincrement is True or (col.autoincrement == "auto" and col.type.python_type is int)
    return [f"{table}_{col.name}_seq"] if serial else []


def role_name(prefix: str, role: str) -> str:
    name = f"{prefix}_{role}"
    if not _IDENT.match(name):
        raise ValueError(f"{name!r} is not a plain lower-case identifier (letters, digits, underscore)")
    return name


def _check_roles(roles: list[str] | None) -> list[str]:
    chosen = roles or list(PROCESS_GRANTS)
    for role in chosen:
        if role not in PROCESS_GRANTS:
            raise ValueError(f"unknown process role {role!r}; choose {', '.join(PROCESS_GRANTS)}")
    return chosen


def roles_sql(prefix: str = "mamoru", roles: list[str] | None = None) -> list[str]:
    """SQL statements that create (if missing) and grant every process role, and the row-level
    security of the portal's tables; safe to run again (each run first revokes everything)."""
    statements: list[str] = []
    for role in _check_roles(roles):
        user = role_name(prefix, role)
        # Identifiers only: role names pass _IDENT, table and column names come from the models.
        statements.append(
            f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{user}') "  # nosec B608
            f"THEN CREATE ROLE {user} LOGIN; END IF; END $$")
        statements.append(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {user}")
        statements.append(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {user}")
        statements.append(f"REVOKE ALL ON ALL FUNCTIONS IN SCHEMA public FROM {user}")
        statements.append(f"GRANT USAGE ON SCHEMA public TO {user}")
        grants = privileges(role)
        sequences: list[str] = []
        for table, privs in grants.items():
            whole = [p for p in privs if p in PRIVILEGES]
            if whole:
                statements.append(f"GRANT {', '.join(whole)} ON {table} TO {user}")
            statements.extend(f"GRANT {p} ON {table} TO {user}" for p in privs if p not in PRIVILEGES)
            if "INSERT" in privs:
                sequences += serial_sequences(table)
        if sequences:
            # USAGE (nextval) only: an INSERT takes its id; nobody reads or sets a sequence.
            statements.append(f"GRANT USAGE ON SEQUENCE {', '.join(sequences)} TO {user}")
        statements.extend(f"GRANT EXECUTE ON FUNCTION {f} TO {user}" for f in sorted(PROCESS_GRANTS[role].functions))
        statements.extend(_row_policies(role, user, grants))
    statements.extend(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY" for table in PORTAL_ROWS)
    return statements


def _row_policies(role: str, user: str, grants: Mapping[str, Privileges]) -> list[str]:
    """One policy per row-secured table the role touches: the portal sees the published rows, every
    other role all rows (row-level security hides everything from a role without a policy; the
    tables' owner is not subject to it)."""
    out: list[str] = []
    for table, rows in PORTAL_ROWS.items():
        if table not in grants:
            continue
        out.append(f"DROP POLICY IF EXISTS {user}_rows ON {table}")
        if role == "portal":
            out.append(f"CREATE POLICY {user}_rows ON {table} FOR SELECT TO {user} USING ({rows})")
        else:
            out.append(f"CREATE POLICY {user}_rows ON {table} FOR ALL TO {user} USING (true) WITH CHECK (true)")
    return out


def drop_roles_sql(prefix: str = "mamoru", roles: list[str] | None = None) -> list[str]:
    """SQL that removes the roles' privileges in this database and the roles (tests, decommissioning)."""
    out: list[str] = []
    for role in _check_roles(roles):
        user = role_name(prefix, role)
        # role name checked by _IDENT (plain identifier)
        out.append(f"DO $$ BEGIN IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{user}') "  # nosec B608
                   f"THEN EXECUTE 'DROP OWNED BY {user}'; EXECUTE 'DROP ROLE {user}'; END IF; END $$")
    # DROP OWNED also removes the dropped roles' row-level policies; row-level security stays enabled
    # on the portal's tables (the owner is not subject to it; roles made again get their policies).
    return out
