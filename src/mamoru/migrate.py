"""Schema migrations through Alembic: upgrade to every branch head, and check models against them.

Each domain keeps its own migration branch (labelled with the domain's name, depending on the
foundation's 0001), so domains evolve their tables independently; `upgrade heads` applies all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData
from sqlalchemy.engine import Engine

import mamoru.models_registry  # noqa: F401
from mamoru.db import Base

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, target: str = "heads") -> None:
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, target)


def current_heads(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def script_heads(engine: Engine) -> set[str]:
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())


def applied_revisions(engine: Engine) -> set[str]:
    """Every revision the database has: its version rows and all they build on (dependencies too)."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(engine))
    seen: set[str] = set()
    todo = list(current_heads(engine))
    while todo:
        rev_id = todo.pop()
        if rev_id in seen:
            continue
        seen.add(rev_id)
        rev = script.get_revision(rev_id)
        if rev is None:
            continue
        for parent in (rev._all_down_revisions or ()):
            todo.append(parent)
    return seen


def differences(engine: Engine, metadata: MetaData | None = None) -> list[str]:
    """What differs between the models (default: all of mamoru's) and the database, in words."""
    problems: list[str] = []
    missing = script_heads(engine) - applied_revisions(engine)
    if missing:
        problems.append(f"database is not at head: missing {', '.join(sorted(missing))} (run `mamoru db upgrade`)")
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        for diff in compare_metadata(ctx, metadata if metadata is not None else Base.metadata):
            problems.extend(describe(diff))
    return problems


_IN_MODELS = "is in the models but not in the database (a migration is missing)"
_IN_DATABASE = "is in the database but not in the models"


def describe(diff: Any) -> list[str]:
    """One autogenerate difference as sentences naming the table and column (a list for modify groups)."""
    if isinstance(diff, list):
        return [line for d in diff for line in describe(d)]
    kind = diff[0]
    if kind in ("add_table", "remove_table"):
        return [f"table {diff[1].name} {_IN_MODELS if kind == 'add_table' else _IN_DATABASE}"]
    if kind in ("add_column", "remove_column"):
        return [f"column {diff[2]}.{diff[3].name} {_IN_MODELS if kind == 'add_column' else _IN_DATABASE}"]
    if kind.startswith("modify_"):
        _, _schema, table, column, _info, old, new = diff
        what = kind.removeprefix("modify_")
        return [f"column {table}.{column}: {what} is {old!r} in the database but {new!r} in the models"]
    obj = diff[1]
    table = getattr(getattr(obj, "table", None), "name", None) or getattr(getattr(obj, "parent", None), "name", "?")
    where = _IN_MODELS if kind.startswith("add_") else _IN_DATABASE
    return [f"{kind.split('_', 1)[1]} {getattr(obj, 'name', None) or '(unnamed)'} on table {table} {where}"]


def revision(engine: Engine, message: str, rev_id: str, branch_label: str | None = None,
             head: str = "heads", depends_on: str | None = None) -> None:
    """Developer helper: autogenerate a new migration (see docs/development.md)."""
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.revision(cfg, message=message, autogenerate=True, rev_id=rev_id, head=head,
                         branch_label=branch_label, depends_on=depends_on)
