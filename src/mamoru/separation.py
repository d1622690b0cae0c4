"""PostgreSQL users and grants per process role, so a process can read only what its role needs.

mamoru runs as separate processes (MAMORU_ROLE: portal, office, hotline, intake, matcher, feed). Settings
keep the credentials apart; this module makes the database enforce it too. Which tables a role may
touch is computed from the models, by the domain module that defines them, so a table added to a
domain follows its domain's grants without anyone editing a list:

- portal: SELECT on the published plan and follow-up tables only (no users, sessions, tokens,
  audit log, hotline cases, hash banks or blocking list);
- intake (the public report form alone): INSERT on the hotline's inbox (hl_inbox) and USAGE on its
  id sequence, nothing else of any domain: no SELECT even on hl_inbox, so it cannot read back what
  others reported; plus the rate-limit counters (hl_rate_counters: keyed hashes with an expiry, used
  when MAMORU_HOTLINE_RATE_STORE=database);
- office, hotline, matcher, feed: read and write their own domains, read the plan, read the
  auth tables (to check logins and tokens) and append to the audit log (INSERT and SELECT only:
  no role gets UPDATE or DELETE on audit_events, so the chain stays append-only at the database too);
  the matcher may also INSERT into hl_inbox (platforms' match reports), and read nothing there.

`mamoru db roles` prints the SQL (or applies it with --apply, as the database owner). Roles are
created without a password: set one with ALTER ROLE, or use certificate or peer authentication.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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


@dataclass(frozen=True)
class RoleGrants:
    """What one process role may do: domain modules it reads, and domain modules it writes."""

    read: frozenset[str]
    write: frozenset[str]
    audit_append: bool
    insert_only: frozenset[str] = frozenset()  # tables it may INSERT into and not read (with their id sequence)
    counters: frozenset[str] = frozenset()  # tables it reads and writes whole (rate-limit counters, published figures)


PROCESS_GRANTS: dict[str, RoleGrants] = {
    "portal": RoleGrants(read=frozenset({PLAN, FOLLOWUP}), write=frozenset(), audit_append=False),
    "office": RoleGrants(read=frozenset({PLAN, FOLLOWUP, AUTH}), write=frozenset({PLAN, FOLLOWUP, AUTH}),
                         audit_append=True),
    "hotline": RoleGrants(read=frozenset({PLAN, AUTH, HOTLINE, MATCHING, BLOCKLIST}),
                          write=frozenset({AUTH, HOTLINE, MATCHING, BLOCKLIST}), audit_append=True,
                          counters=frozenset({PUBLISHED_FIGURES})),
    "intake": RoleGrants(read=frozenset(), write=frozenset(), audit_append=False,
                         insert_only=frozenset({INBOX}), counters=frozenset({RATE_COUNTERS})),
    "matcher": RoleGrants(read=frozenset({AUTH, MATCHING}), write=frozenset({AUTH, MATCHING}), audit_append=True,
                          insert_only=frozenset({INBOX})),
    "feed": RoleGrants(read=frozenset({AUTH, BLOCKLIST}), write=frozenset({AUTH, BLOCKLIST}), audit_append=True),
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


def tables_for(role: str) -> tuple[list[str], list[str]]:
    """(tables the role may read, tables it may write) for a process role."""
    grants = PROCESS_GRANTS[role]
    by_module = tables_by_module()
    read = sorted({t for m in grants.read for t in by_module.get(m, [])})
    write = sorted({t for m in grants.write for t in by_module.get(m, [])})
    return read, write


def role_name(prefix: str, role: str) -> str:
    name = f"{prefix}_{role}"
    if not _IDENT.match(name):
        raise ValueError(f"{name!r} is not a plain lower-case identifier (letters, digits, underscore)")
    return name


def roles_sql(prefix: str = "mamoru", roles: list[str] | None = None) -> list[str]:
    """SQL statements that create (if missing) and grant every process role; safe to run again."""
    statements: list[str] = []
    for role in roles or list(PROCESS_GRANTS):
        if role not in PROCESS_GRANTS:
            raise ValueError(f"unknown process role {role!r}; choose {', '.join(PROCESS_GRANTS)}")
        user = role_name(prefix, role)
        read, write = tables_for(role)
        # Identifiers only: role names pass _IDENT, table names come from the models (no user input).
        statements.append(
            f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{user}') "  # nosec B608
            f"THEN CREATE ROLE {user} LOGIN; END IF; END $$")
        statements.append(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {user}")
        statements.append(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {user}")
        statements.append(f"GRANT USAGE ON SCHEMA public TO {user}")
        statements.append(f"GRANT SELECT ON {ALEMBIC} TO {user}")
        if read:
            statements.append(f"GRANT SELECT ON {', '.join(read)} TO {user}")
        if write:
            statements.append(f"GRANT INSERT, UPDATE, DELETE ON {', '.join(write)} TO {user}")
            statements.append(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {user}")
        if PROCESS_GRANTS[role].audit_append:
            statements.append(f"GRANT SELECT, INSERT ON audit_events TO {user}")
        statements.extend(_table_grants(PROCESS_GRANTS[role], user))
    return statements


def _table_grants(grants: RoleGrants, user: str) -> list[str]:
    """Grants on single tables: INSERT without SELECT (the INSERT must not ask for RETURNING), and
    whole use of counter tables; each with the sequence of its id column (SERIAL: <table>_id_seq)."""
    out: list[str] = []
    for table in sorted(grants.insert_only):
        out.append(f"GRANT INSERT ON {table} TO {user}")
        out.append(f"GRANT USAGE ON SEQUENCE {table}_id_seq TO {user}")
    for table in sorted(grants.counters):
        out.append(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {user}")
        out.append(f"GRANT USAGE, SELECT ON SEQUENCE {table}_id_seq TO {user}")
    return out


def drop_roles_sql(prefix: str = "mamoru", roles: list[str] | None = None) -> list[str]:
    """SQL that removes the roles' privileges in this database and the roles (tests, decommissioning)."""
    out: list[str] = []
    for role in roles or list(PROCESS_GRANTS):
        user = role_name(prefix, role)
        # role name checked by _IDENT (plain identifier)
        out.append(f"DO $$ BEGIN IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{user}') "  # nosec B608
                   f"THEN EXECUTE 'DROP OWNED BY {user}'; EXECUTE 'DROP ROLE {user}'; END IF; END $$")
    return out
