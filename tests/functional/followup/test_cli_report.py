"""The command-line contract `mamoru report followup --round ID --lang ja|en --format html|pdf|md
[--output FILE]`: the report goes to FILE or, without it, to standard output; a round not yet published
is marked as a draft; bad input exits 2 with a message on standard error and writes nothing."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from tests.functional.followup.conftest import SMALL_PLAN

TITLE_JA = "子供の性被害防止プランに基づく施策の実施状況（令和5年度）"
TITLE_EN = "Implementation status of the Basic Plan, FY2023"


@pytest.fixture
def round_id(cli) -> str:  # type: ignore[no-untyped-def]
    assert cli("plan", "load", "--file", str(SMALL_PLAN)).exit_code == 0
    assert cli("indicator", "load").exit_code == 0
    assert cli("user", "add", "office", "--role", "coordinator").exit_code == 0
    r = cli("round", "open", "--fy", "2023", "--due", "2030-07-31", "--as", "office")
    assert r.exit_code == 0, r.output
    return r.stdout.strip()


def _report(cli, *args: str):  # type: ignore[no-untyped-def]
    return cli("report", "followup", *args)


def test_markdown_and_html_to_standard_output(cli, round_id) -> None:  # type: ignore[no-untyped-def]
    md = _report(cli, "--round", round_id, "--lang", "ja", "--format", "md")
    assert md.exit_code == 0, md.stderr
    lines = md.stdout.splitlines()
    assert lines[0].startswith("> **") and "草案" in lines[0]                  # a draft round is marked
    assert f"# {TITLE_JA}" in lines and "## 概要" in lines and "### 1-1 フィルタリングの普及啓発" in md.stdout
    assert md.stderr == ""                                                       # nothing but the report on stdout
    md_en = _report(cli, "--round", round_id, "--lang", "en", "--format", "md")
    assert md_en.exit_code == 0 and f"# {TITLE_EN}" in md_en.stdout.splitlines()
    assert "### 1-1 Awareness campaigns on filtering" in md_en.stdout and "草案" not in md_en.stdout
    html = _report(cli, "--round", round_id, "--lang", "en", "--format", "html")
    assert html.exit_code == 0, html.stderr
    assert html.stdout.startswith("<!doctype html>") and '<html lang="en">' in html.stdout
    assert f"<h1>{TITLE_EN}</h1>" in html.stdout and 'id="draft-mark"' in html.stdout
    assert 'data-indicator="cp-victims"' in html.stdout and html.stdout.rstrip().endswith("</html>")
    default = _report(cli, "--round", round_id)                                  # html in Japanese by default
    assert default.exit_code == 0 and '<html lang="ja">' in default.stdout and f"<h1>{TITLE_JA}</h1>" in default.stdout


def test_output_file_gets_the_same_report(cli, round_id, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for fmt in ("md", "html"):
        out = tmp_path / f"report.{fmt}"
        r = _report(cli, "--round", round_id, "--lang", "ja", "--format", fmt, "--output", str(out))
        assert r.exit_code == 0, r.stderr
        assert r.stdout == "" and f"report written to {out}" in r.stderr.replace("\n", "")
        same = _report(cli, "--round", round_id, "--lang", "ja", "--format", fmt)
        assert out.read_text(encoding="utf-8") == same.stdout
    short = tmp_path / "short.md"
    assert _report(cli, "--round", round_id, "--format", "md", "-o", str(short)).exit_code == 0
    assert short.read_text(encoding="utf-8").startswith("> **")


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_pdf_to_a_file_and_to_standard_output(cli, round_id, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "report.pdf"
    r = _report(cli, "--round", round_id, "--lang", "ja", "--format", "pdf", "--output", str(out))
    assert r.exit_code == 0, r.stderr
    assert r.stdout_bytes == b"" and out.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert TITLE_JA.replace("（", "").split("令和")[0] in text and "草案" in text
    piped = _report(cli, "--round", round_id, "--lang", "en", "--format", "pdf")
    assert piped.exit_code == 0 and piped.stdout_bytes.startswith(b"%PDF") and piped.stdout_bytes.rstrip().endswith(b"%%EOF")
    en = tmp_path / "piped.pdf"
    en.write_bytes(piped.stdout_bytes)
    en_text = subprocess.run(["pdftotext", str(en), "-"], capture_output=True, text=True, check=True).stdout
    assert "Implementation status of the Basic Plan" in en_text and "DRAFT" in en_text


def test_published_round_is_not_marked_as_a_draft(cli, round_id) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from mamoru.db import Database
    from mamoru.followup import entries
    from mamoru.followup.models import RoundEntry
    from mamoru.followup.workflow import Content

    db = Database.from_url(cli.env["MAMORU_DATABASE_URL"])
    with db.session() as s:
        e = s.scalars(select(RoundEntry).order_by(RoundEntry.id)).first()
        entries.save_entry(s, e, None, Content("implemented", "", "広報啓発を実施した。", [], []), submit=True)
        entries.accept_entry(s, e, None)
    db.engine.dispose()
    assert cli("round", "publish", round_id, "--yes", "--as", "office").exit_code == 0
    md = _report(cli, "--round", round_id, "--lang", "ja", "--format", "md")
    assert md.exit_code == 0 and md.stdout.startswith(f"# {TITLE_JA}") and "草案" not in md.stdout
    assert "広報啓発を実施した。" in md.stdout
    html = _report(cli, "--round", round_id, "--lang", "en", "--format", "html")
    assert html.exit_code == 0 and 'id="draft-mark"' not in html.stdout


@pytest.mark.parametrize(("args", "message"), [
    (("--round", "999", "--format", "md"), "mamoru: no round 999"),
    (("--round", "1", "--lang", "fr", "--format", "md"), "mamoru: --lang 'fr': choose ja or en"),
    (("--round", "1", "--format", "docx"), "mamoru: --format 'docx': choose html, pdf or md"),
    (("--round", "abc", "--format", "md"), "Invalid value for '--round'"),
    (("--format", "md"), "Missing option '--round'"),
])
def test_bad_input_exits_2_with_a_message_and_writes_nothing(cli, round_id, tmp_path: Path, args: tuple[str, ...],
                                                             message: str) -> None:
    out = tmp_path / "report.md"
    r = _report(cli, *args, "--output", str(out))
    assert r.exit_code == 2, (r.stdout, r.stderr)
    assert message in " ".join(r.stderr.split()), r.stderr
    assert r.stdout == "" and not out.exists()


def test_unwritable_output_fails_with_a_message(cli, round_id, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "no-such-folder" / "report.md"
    r = _report(cli, "--round", round_id, "--format", "md", "--output", str(out))
    assert r.exit_code == 1 and "cannot write the report to" in " ".join(r.stderr.split())
    assert "Traceback" not in r.stderr and not out.exists()
