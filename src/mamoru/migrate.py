"""Schema migrations through Alembic: upgrade to every branch head, and check models against them.

Each domain keeps its own migration branch (labelled with the domain's name, depending on the
foundation's 0001), so domains evolve their tables independently; `upgrade heads` applies all.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
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


def differences(engine: Engine) -> list[str]:
    """What differs between the models and the database (which should be at every head)."""
    problems: list[str] = []
    missing = script_heads(engine) - applied_revisions(engine)
    if missing:
        problems.append(f"database is not at head: missing {', '.join(sorted(missing))} (run `mamoru db upgrade`)")
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        for diff in compare_metadata(ctx, Base.metadata):
            problems.append(repr(diff))
    return problems


def revision(engine: Engine, message: str, rev_id: str, branch_label: str | None = None,
             head: str = "heads", depends_on: str | None = None) -> None:
    """Developer helper: autogenerate a new migration (see docs/development.md)."""
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.revision(cfg, message=message, autogenerate=True, rev_id=rev_id, head=head,
                         branch_label=branch_label, depends_on=depends_on)
