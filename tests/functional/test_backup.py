"""`mamoru db dump` and `mamoru db restore` round-trip every table between SQLite and PostgreSQL:
row counts and checksums per table are equal after the trip."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import BACKENDS, TEST_PASSWORD, fresh_database_url
from tests.functional.conftest import Cli
from typer.testing import CliRunner

from mamoru.backup import checksums
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
        dump = tmp_path / "backup.jsonl.gz"
        assert src("db", "dump", str(dump)).exit_code == 0
        assert dst("db", "upgrade").exit_code == 0
        r = dst("db", "restore", str(dump))
        assert r.exit_code == 0, r.output
        a, b = make_engine(src_url), make_engine(dst_url)
        before, after = checksums(a), checksums(b)
        assert before["measures"][0] == 24 and before["audit_events"][0] >= 3
        assert after == before
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
