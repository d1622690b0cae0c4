"""CLI contracts of the plan registry: load, export, import (all or nothing), users, audit."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import text
from tests.conftest import BACKENDS, fresh_database_url
from tests.functional.conftest import Cli
from typer.testing import CliRunner

from mamoru.db import make_engine


def _export(cli: Cli, fmt: str = "csv") -> str:
    r = cli("plan", "export", "--format", fmt)
    assert r.exit_code == 0, r.output
    return r.stdout


def _rows(csv_text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(csv_text)))


def _write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


def test_load_is_safe_to_run_twice(loaded_cli: Cli) -> None:
    first = _export(loaded_cli)
    r = loaded_cli("plan", "load")
    assert r.exit_code == 0 and "nothing to add" in r.stderr
    assert _export(loaded_cli) == first


def test_export_csv_contract(loaded_cli: Cli) -> None:
    rows = _rows(_export(loaded_cli))
    assert {"code", "pillar", "title_en", "origin", "main", "agencies"} <= set(rows[0])
    assert len(rows) == 24
    first = rows[0]
    assert first["code"] == "1-1" and first["pillar"] == "1" and first["main"] == "true"
    assert first["origin"] == "unknown"
    assert first["agencies"] == "NPA;CAS;CAO;MIC;MOJ;MOFA;MEXT;MHLW;METI"
    assert [r["agencies"] for r in rows if r["code"] == "1-4"] == ["MOFA;CAS;CAO;NPA;MOJ;MEXT;MHLW"]


def test_import_round_trip_keeps_ids_and_sets_codes(loaded_cli: Cli, tmp_path: Path) -> None:
    rows = _rows(_export(loaded_cli))
    for r in rows:
        if r["id"] == rows[0]["id"]:
            r["code"] = "1-(1)"
            r["origin"] = "third-comprehensive"
    f = _write_csv(tmp_path / "full.csv", rows + [{**rows[1], "id": "", "code": "1-99", "title_en": "A measure not in the outline"}])
    r = loaded_cli("plan", "import", str(f), "--reason", "full list received")
    assert r.exit_code == 0, r.output
    after = _rows(_export(loaded_cli))
    assert len(after) == 25
    changed = next(x for x in after if x["id"] == rows[0]["id"])
    assert changed["code"] == "1-(1)" and changed["origin"] == "third-comprehensive"
    assert [x["id"] for x in after[:24]] == [x["id"] for x in rows[:24]] or {x["id"] for x in rows} <= {x["id"] for x in after}


def test_import_rejects_bad_rows_and_changes_nothing(loaded_cli: Cli, tmp_path: Path) -> None:
    before = _export(loaded_cli)
    rows = _rows(before)
    rows[2]["agencies"] = "NPA;XYZ"
    rows[5]["pillar"] = "9"
    rows[7]["title_en"] = ""
    rows[0]["title_en"] = "Changed, but the file has bad rows"
    f = _write_csv(tmp_path / "bad.csv", rows)
    r = loaded_cli("plan", "import", str(f))
    assert r.exit_code == 2
    assert "row 4, agencies: unknown agency code 'XYZ'" in r.stderr
    assert "row 7, pillar:" in r.stderr
    assert "row 9, title_en: must not be empty" in r.stderr
    assert _export(loaded_cli) == before


def test_xlsx_and_yaml_round_trip(loaded_cli: Cli, tmp_path: Path) -> None:
    before = _export(loaded_cli)
    for fmt in ("xlsx", "yaml"):
        out = tmp_path / f"plan.{fmt}"
        r = loaded_cli("plan", "export", "--format", fmt, "--output", str(out))
        assert r.exit_code == 0, r.output
        r = loaded_cli("plan", "import", str(out))
        assert r.exit_code == 0, r.output
        assert "24 unchanged" in r.stderr
    assert _export(loaded_cli) == before


def test_damaged_xlsx_is_refused(loaded_cli: Cli, tmp_path: Path) -> None:
    f = tmp_path / "broken.xlsx"
    f.write_bytes(b"PK\x03\x04 not really a workbook")
    r = loaded_cli("plan", "import", str(f))
    assert r.exit_code == 2 and "not a readable XLSX" in r.stderr


def test_user_add_contract(loaded_cli: Cli) -> None:
    r = loaded_cli("user", "add", "coord", "--role", "coordinator")
    assert r.exit_code == 0, r.output
    r = loaded_cli("user", "add", "coord", "--role", "coordinator")
    assert r.exit_code == 2 and "already exists" in r.stderr
    r = loaded_cli("user", "add", "npa1", "--role", "agency_officer", "--agency", "NPA", "--as", "coord")
    assert r.exit_code == 0, r.output
    r = loaded_cli("user", "add", "x", "--role", "auditor", "--as", "ghost")
    assert r.exit_code == 2 and "no user 'ghost'" in r.stderr
    r = loaded_cli("user", "add", "xyz1", "--role", "agency_officer", "--agency", "xyz")  # not in the plan
    assert r.exit_code == 2 and "unknown agency 'XYZ'" in r.stderr
    listing = loaded_cli("user", "list").stdout
    assert "npa1,agency_officer,NPA,true,coord" in listing
    assert "coord,coordinator,,true," in listing


def test_only_coordinator_amends_from_cli(loaded_cli: Cli) -> None:
    loaded_cli("user", "add", "coord", "--role", "coordinator")
    loaded_cli("user", "add", "npa1", "--role", "agency_officer", "--agency", "NPA")
    uid = _rows(_export(loaded_cli))[0]["id"]
    r = loaded_cli("plan", "amend", uid, "--reason", "typo", "--title-en", "New words", "--as", "npa1")
    assert r.exit_code == 1 and "only the plan office" in r.stderr
    r = loaded_cli("plan", "amend", uid, "--reason", "typo", "--title-en", "New words", "--as", "coord")
    assert r.exit_code == 0, r.output
    assert _rows(_export(loaded_cli))[0]["title_en"] == "New words"


def test_audit_verify_and_checkpoint(loaded_cli: Cli, tmp_path: Path) -> None:
    loaded_cli("user", "add", "coord", "--role", "coordinator")
    r = loaded_cli("audit", "verify")
    assert r.exit_code == 0 and "intact" in r.stdout
    cp = tmp_path / "cp.json"
    r = loaded_cli("audit", "checkpoint", "--output", str(cp))
    assert r.exit_code == 0 and json.loads(cp.read_text())["count"] >= 2
    r = loaded_cli("audit", "verify", "--checkpoint", str(cp))
    assert r.exit_code == 0, r.output
    engine = make_engine(loaded_cli.env["MAMORU_DATABASE_URL"])
    with engine.begin() as c:
        c.execute(text("UPDATE audit_events SET actor = 'someone-else' WHERE seq = 2"))
    r = loaded_cli("audit", "verify")
    assert r.exit_code == 1 and "entry 2 was altered" in r.stdout
    engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_db_upgrade_migrates_an_empty_database_and_db_check_passes(backend: str, tmp_path: Path) -> None:
    """`mamoru db upgrade` on an empty database (the `cli` fixture's databases are copies of one the
    session migrated), then `db check` finds models and migrations agree."""
    url, drop = fresh_database_url(backend, tmp_path)
    try:
        cli = Cli(env={"MAMORU_DATABASE_URL": url, "MAMORU_VAR_DIR": str(tmp_path / "var")}, runner=CliRunner())
        r = cli("db", "upgrade")
        assert r.exit_code == 0 and "database is at the latest migration" in r.stderr, r.output
        r = cli("db", "check")
        assert r.exit_code == 0 and "models and migrations agree" in r.stderr, r.output
    finally:
        drop()


def test_db_check_fails_naming_what_the_database_has_beyond_the_models(cli: Cli) -> None:
    engine = make_engine(cli.env["MAMORU_DATABASE_URL"])
    with engine.begin() as c:
        c.execute(text("ALTER TABLE timeline_events ADD COLUMN stray_note VARCHAR(20)"))
        c.execute(text("CREATE TABLE stray_table (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    r = cli("db", "check")
    assert r.exit_code == 1
    assert "column timeline_events.stray_note is in the database but not in the models" in r.stderr
    assert "table stray_table is in the database but not in the models" in r.stderr
    assert "models and migrations agree" not in r.stderr


def test_db_check_fails_when_a_model_change_has_no_migration(cli: Cli) -> None:
    """A column added to a model without a migration: simulated on a copy of the models' metadata."""
    from sqlalchemy import Column, MetaData, String

    from mamoru.db import Base
    from mamoru.migrate import differences

    changed = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["timeline_events"].append_column(Column("source_url", String(300)))
    engine = make_engine(cli.env["MAMORU_DATABASE_URL"])
    try:
        assert differences(engine) == []
        assert differences(engine, changed) == [
            "column timeline_events.source_url is in the models but not in the database (a migration is missing)"]
    finally:
        engine.dispose()


def test_db_check_fails_on_an_unmigrated_database(cli: Cli, tmp_path: Path) -> None:
    r = cli("db", "check", env={"MAMORU_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"})
    assert r.exit_code == 1
    assert "database is not at head" in r.stderr and "table plans is in the models but not in the database" in r.stderr


def _audit_actors(cli: Cli, action: str) -> list[tuple[str, str]]:
    engine = make_engine(cli.env["MAMORU_DATABASE_URL"])
    with engine.connect() as c:
        rows = c.execute(text("SELECT actor, target FROM audit_events WHERE action = :a ORDER BY seq"), {"a": action}).all()
    engine.dispose()
    return [(r[0], r[1]) for r in rows]


def test_cli_edits_record_the_acting_user_or_the_command_line(loaded_cli: Cli, tmp_path: Path) -> None:
    loaded_cli("user", "add", "coord", "--role", "coordinator")
    first, second = (r["id"] for r in _rows(_export(loaded_cli))[:2])
    assert loaded_cli("plan", "amend", first, "--reason", "r1", "--title-en", "By coord", "--as", "coord").exit_code == 0
    assert loaded_cli("plan", "amend", second, "--reason", "r2", "--title-en", "By the operator").exit_code == 0
    assert _audit_actors(loaded_cli, "measure:amend") == [("coord", f"measure:{first}"), ("cli", f"measure:{second}")]
    engine = make_engine(loaded_cli.env["MAMORU_DATABASE_URL"])
    with engine.connect() as c:
        by = c.execute(text('SELECT "by" FROM measure_amendments ORDER BY id')).scalars().all()
    engine.dispose()
    assert by == ["coord", "cli"]

    rows = _rows(_export(loaded_cli))
    rows[2]["title_en"] = "Imported wording"
    f = _write_csv(tmp_path / "one.csv", rows)
    assert loaded_cli("plan", "import", str(f), "--as", "coord").exit_code == 0
    rows[2]["title_en"] = "Imported again"
    _write_csv(f, rows)
    assert loaded_cli("plan", "import", str(f)).exit_code == 0
    assert [a for a, _ in _audit_actors(loaded_cli, "plan:import")] == ["coord", "cli"]
