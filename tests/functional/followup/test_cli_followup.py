"""The command-line contract: `mamoru round open --fy YEAR [--fy YEAR ...] --due DATE --as USERNAME`
prints the round's id; export and import by stable ids."""

from __future__ import annotations

from tests.functional.followup.conftest import SMALL_PLAN


def test_round_open_prints_id_and_export_import(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert cli("plan", "load", "--file", str(SMALL_PLAN)).exit_code == 0
    assert cli("user", "add", "office", "--role", "coordinator").exit_code == 0
    r = cli("round", "open", "--fy", "2022", "--fy", "2023", "--due", "2030-07-31", "--as", "office")
    assert r.exit_code == 0, r.output
    assert r.stdout.strip() == "1"
    assert cli("round", "open", "--fy", "2023", "--due", "2030-07-31", "--as", "office").exit_code == 1
    assert cli("round", "open", "--fy", "2024", "--due", "31/07/2025", "--as", "office").exit_code == 2
    assert cli("round", "open", "--fy", "2024", "--due", "2030-07-31", "--as", "nobody").exit_code == 2
    listing = cli("round", "list")
    assert "FY2022 and FY2023" in listing.stdout and "draft=11" in listing.stdout
    csv_out = cli("round", "export", "1", "--format", "csv")
    assert csv_out.stdout.splitlines()[0].lstrip("\ufeff").startswith("entry_id,version,measure_id")
    path = tmp_path / "edited.csv"
    path.write_text(csv_out.stdout.replace(",draft,,,", ",draft,continuing,,", 1), encoding="utf-8")
    imp = cli("round", "import", "1", str(path), "--as", "office")
    assert imp.exit_code == 0 and "1 entries changed" in imp.output
    path.write_text(csv_out.stdout.replace(",draft,,,", ",draft,bogus,,", 1), encoding="utf-8")
    bad = cli("round", "import", "1", str(path), "--as", "office")
    assert bad.exit_code == 2 and "row 2, status (column J)" in bad.output


def test_prefecture_status_and_overdue_action_items(cli) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    from mamoru.db import Database
    from mamoru.followup import meetings

    assert cli("plan", "load", "--file", str(SMALL_PLAN)).exit_code == 0
    assert cli("indicator", "load").exit_code == 0
    assert cli("user", "add", "office", "--role", "coordinator").exit_code == 0
    assert cli("user", "add", "npa", "--role", "agency_officer", "--agency", "NPA").exit_code == 0
    assert cli("prefecture", "set", "t-2-01", "13", "done", "--since", "2017-07-01", "--as", "office").exit_code == 0
    assert cli("prefecture", "set", "t-2-01", "27", "done", "--as", "npa").exit_code == 1  # refused
    assert cli("prefecture", "set", "t-2-01", "99", "done", "--as", "office").exit_code == 2
    assert cli("prefecture", "publish", "t-2-01", "--as", "npa").exit_code == 1
    assert cli("prefecture", "publish", "t-2-01", "--as", "office").exit_code == 0
    assert cli("meeting", "actions", "--overdue").exit_code == 0  # nothing overdue yet
    db = Database.from_url(cli.env["MAMORU_DATABASE_URL"])
    with db.session() as s:
        m = meetings.meetings(s)[0]
        meetings.add_action(s, None, m, "Survey", "調査", "t-1-01", "NPA", date(2020, 1, 31))
        meetings.add_action(s, None, m, "Later", "後日", "t-3-02", "MIC", date(2099, 1, 31))
    db.engine.dispose()
    late = cli("meeting", "actions", "--overdue")
    assert late.exit_code == 1 and late.stdout.count("\n") == 1 and "2020-01-31\tNPA\toverdue\tt-1-01\t調査" in late.stdout
    mic = cli("meeting", "actions", "--owner", "MIC")
    assert mic.exit_code == 0 and "2099-01-31\tMIC\topen" in mic.stdout and "NPA" not in mic.stdout
