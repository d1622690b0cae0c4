"""`mamoru db dump` and `mamoru db restore` round-trip every table between SQLite and PostgreSQL:
row counts and checksums per table are equal after the trip.

The source database holds at least one row in every mapped table: the domains' own services make
the rows that matter (a hotline case and report with a sealed contact, a hash bank with entries, a
confirmed blocking-list entry with JSON criteria and a signed publication whose artifacts are
binary, a reporting round with its entries, an API token and a web session), and `fill_the_rest`
adds one row, built from the column types, to any table still empty, so a new table is covered too.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session
from tests.conftest import BACKENDS, TEST_PASSWORD, fresh_database_url
from tests.functional.conftest import Cli
from typer.testing import CliRunner

from mamoru.backup import checksums, tables
from mamoru.db import make_engine

PAIRS = [(a, b) for a in BACKENDS for b in BACKENDS if a != b] or [("sqlite", "sqlite")]


def _cli(url: str, tmp: Path) -> Cli:
    return Cli(env={"MAMORU_DATABASE_URL": url, "MAMORU_VAR_DIR": str(tmp / "var"), "MAMORU_NEW_PASSWORD": TEST_PASSWORD},
               runner=CliRunner())


@pytest.mark.parametrize("source,target", PAIRS)
def test_round_trip_between_databases(source: str, target: str, tmp_path: Path) -> None:
    src_url, drop_src = fresh_database_url(source, tmp_path / "a")
    dst_url, drop_dst = fresh_database_url(target, tmp_path / "b")
    (tmp_path / "a").mkdir(exist_ok=True)
    (tmp_path / "b").mkdir(exist_ok=True)
    try:
        src, dst = _cli(src_url, tmp_path / "a"), _cli(dst_url, tmp_path / "b")
        for args in (["db", "upgrade"], ["plan", "load"], ["user", "add", "coord", "--role", "coordinator"],
                     ["plan", "amend", "bp17-1-01", "--reason", "日本語の理由", "--title-ja", "新しい名称", "--as", "coord"]):
            r = src(*args)
            assert r.exit_code == 0, r.output
        fill_every_table(src_url, tmp_path / "a")
        dump = tmp_path / "backup.jsonl.gz"
        assert src("db", "dump", str(dump)).exit_code == 0
        assert dst("db", "upgrade").exit_code == 0
        r = dst("db", "restore", str(dump))
        assert r.exit_code == 0, r.output
        a, b = make_engine(src_url), make_engine(dst_url)
        before, after = checksums(a), checksums(b)
        assert before["measures"][0] == 24 and before["audit_events"][0] >= 3
        assert [t for t, (n, _) in before.items() if n == 0] == []  # every table took part
        assert {t: after[t] for t in before if after[t] != before[t]} == {}
        assert after == before
        with a.connect() as ca, b.connect() as cb:  # and the values themselves, typed, row for row
            for table in tables():
                order = list(table.primary_key.columns) or list(table.columns)
                assert [_same(r) for r in ca.execute(select(table).order_by(*order))] == [
                    _same(r) for r in cb.execute(select(table).order_by(*order))], table.name
        # The restored audit chain still verifies, and new rows get fresh ids.
        assert dst("audit", "verify").exit_code == 0
        assert dst("user", "add", "second", "--role", "auditor").exit_code == 0
        a.dispose()
        b.dispose()
    finally:
        drop_src()
        drop_dst()


def test_restore_refuses_non_empty_database_and_foreign_files(loaded_cli: Cli, tmp_path: Path) -> None:
    dump = tmp_path / "d.jsonl"
    assert loaded_cli("db", "dump", str(dump)).exit_code == 0
    r = loaded_cli("db", "restore", str(dump))
    assert r.exit_code == 2 and "needs an empty database" in r.stderr
    junk = tmp_path / "junk.jsonl"
    junk.write_text("hello\n")
    r = loaded_cli("db", "restore", str(junk))
    assert r.exit_code == 2 and "not a mamoru dump" in r.stderr


def _same(row: Any) -> tuple[Any, ...]:
    """A row with datetimes in UTC (SQLite keeps no zone), for comparing two databases."""
    return tuple(v.astimezone(UTC) if isinstance(v, datetime) and v.tzinfo else
                 v.replace(tzinfo=UTC) if isinstance(v, datetime) else v for v in row)


def fill_every_table(url: str, var: Path) -> None:
    from mamoru.auth import service as auth
    from mamoru.auth.models import User
    from mamoru.blocklist import publishing
    from mamoru.blocklist import service as blocklist
    from mamoru.followup import rounds
    from mamoru.hotline import intake
    from mamoru.hotline import workflow as wf
    from mamoru.hotline.contacts import ContactCipher
    from mamoru.matching import service as banks

    engine = make_engine(url)
    with Session(engine) as s:
        coord = s.scalars(select(User).where(User.username == "coord")).one()
        analyst = auth.create_user(s, "analyst1", "analyst", TEST_PASSWORD)
        senior = auth.create_user(s, "senior1", "senior_analyst", TEST_PASSWORD)
        auth.issue_token(s, analyst, "backup", ["flagger"])
        auth.open_session(s, coord, 8)
        intake.submit(s, intake.ReportInput(url="http://example.test/報告", contact="reporter@example.test",
                                            description="説明"), "public", wf.ServiceLevels(),
                      contacts=ContactCipher.generate())
        banks.create_bank(s, "backup-bank", senior)
        banks.import_file(s, "backup-bank", ("5e" * 32 + "\n" + "a1" * 32 + "\n").encode(), "lines", "pdq", senior)
        entry = blocklist.propose(s, analyst, "domain", "blocked.example.test", "a reason, 理由",
                                  criteria=["purpose", "confirmed", "same-operator", "no-alternative"])
        s.flush()
        blocklist.confirm(s, senior, entry.id)
        publishing.publish(s, senior, publishing.BlocklistSettings(key_path=var / "keys" / "blocklist.key",
                                                                   splash=None, review_days=180))
        rounds.open_round(s, coord, [2024], date(2030, 1, 1))
        s.commit()
        fill_the_rest(s)
        s.commit()
    engine.dispose()


SAMPLE = {"datetime": datetime(2026, 4, 1, 9, 30, 15, 123456, tzinfo=UTC), "date": date(2026, 4, 1),
          "bool": True, "bytes": b"\x00\xffbinary\n", "dict": {"ja": "日本語", "n": [1, 2.5, None]},
          "list": ["a", {"b": 1}], "Decimal": Decimal("12.34"), "float": 0.5, "int": 7}


def _value(column: Any, session: Session) -> Any:
    if column.foreign_keys:
        target = next(iter(column.foreign_keys)).column
        return session.scalar(select(target).limit(1))
    try:
        kind = getattr(column.type, "impl_instance", column.type).python_type  # UTCDateTime -> DateTime
    except NotImplementedError:
        kind = str
    if kind is str:
        length = getattr(column.type, "length", None) or 40
        return ("x-日本-" + column.name)[:length]
    return SAMPLE.get(kind.__name__, SAMPLE["dict"] if kind in (dict, list) else 1)


def fill_the_rest(session: Session) -> None:
    """One row in each table still empty, built from its columns (foreign keys point at existing rows)."""
    for table in tables():
        if session.scalar(select(func.count()).select_from(table)):
            continue
        row = {c.name: _value(c, session) for c in table.columns
               if not (c.primary_key and c.autoincrement in (True, "auto") and not c.foreign_keys
                       and c.type.python_type is int)}
        session.execute(insert(table), [row])
        session.flush()
