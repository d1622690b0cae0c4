"""Agency successions recorded per measure assignment: through the full-list import (the
`successions` column), the `mamoru plan succession` command and the API; bad values are refused with
row, field and reason and change nothing."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import yaml
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from tests.functional.conftest import Cli

from mamoru import audit
from mamoru.auth import roles
from mamoru.db import make_engine
from mamoru.plan.models import Measure

MOVE = "mhlw-children-to-cfa-2023"
NPSC_MOVE = "coordination-to-cfa-2023"


def _export(cli: Cli) -> list[dict[str, str]]:
    r = cli("plan", "export")
    assert r.exit_code == 0, r.output
    return list(csv.DictReader(io.StringIO(r.stdout)))


def _write(path: Path, rows: list[dict[str, str]], drop: tuple[str, ...] = ()) -> Path:
    fields = [f for f in rows[0] if f not in drop]
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return path


def _by_id(rows: list[dict[str, str]], uid: str) -> dict[str, str]:
    return next(r for r in rows if r["id"] == uid)


def _audit(cli: Cli, action: str) -> list[tuple[str, str, str]]:
    engine = make_engine(cli.env["MAMORU_DATABASE_URL"])
    with engine.connect() as c:
        rows = c.execute(text("SELECT actor, target, detail FROM audit_events WHERE action = :a ORDER BY seq"),
                         {"a": action}).all()
    engine.dispose()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_export_writes_the_shipped_successions(loaded_cli: Cli) -> None:
    rows = _export(loaded_cli)
    assert _by_id(rows, "bp17-4-03")["successions"] == f"MHLW={MOVE}"
    assert _by_id(rows, "bp17-4-04")["successions"] == ""  # MHLW there did not move: the succession is partial


def test_import_records_and_clears_successions(loaded_cli: Cli, tmp_path: Path) -> None:
    rows = _export(loaded_cli)
    _by_id(rows, "bp17-4-04")["successions"] = f"mhlw = {MOVE}"
    _by_id(rows, "bp17-4-03")["successions"] = ""
    r = loaded_cli("plan", "import", str(_write(tmp_path / "s.csv", rows)), "--reason", "succession review")
    assert r.exit_code == 0, r.output
    assert "2 with new successions" in r.stderr and "22 unchanged" in r.stderr
    after = _export(loaded_cli)
    assert _by_id(after, "bp17-4-04")["successions"] == f"MHLW={MOVE}"
    assert _by_id(after, "bp17-4-03")["successions"] == ""
    events = _audit(loaded_cli, "measure:succession:set")
    assert [e[1] for e in events] == ["measure:bp17-4-03", "measure:bp17-4-04"]
    assert all(e[0] == "cli" and "succession review" in e[2] for e in events)


def test_import_without_the_column_keeps_recorded_successions(loaded_cli: Cli, tmp_path: Path) -> None:
    before = _export(loaded_cli)
    r = loaded_cli("plan", "import", str(_write(tmp_path / "old.csv", before, drop=("successions",))))
    assert r.exit_code == 0, r.output
    assert "24 unchanged" in r.stderr
    assert _export(loaded_cli) == before


def test_import_creates_a_measure_with_a_succession_from_yaml(loaded_cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "plan.yaml"
    assert loaded_cli("plan", "export", "--format", "yaml", "--output", str(out)).exit_code == 0
    doc = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert doc["measures"][0]["successions"] == {}
    doc["measures"].append({**doc["measures"][0], "id": "bp17-1-99", "code": "1-99", "title_en": "Coordination",
                            "agencies": ["NPSC", "MHLW"], "lead": [], "successions": {"NPSC": NPSC_MOVE, "MHLW": MOVE}})
    out.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    r = loaded_cli("plan", "import", str(out))
    assert r.exit_code == 0, r.output
    assert _by_id(_export(loaded_cli), "bp17-1-99")["successions"] == f"NPSC={NPSC_MOVE};MHLW={MOVE}"


def test_import_rejects_bad_successions_with_row_field_reason(loaded_cli: Cli, tmp_path: Path) -> None:
    before = _export(loaded_cli)
    rows = [dict(r) for r in before]
    rows[0]["successions"] = "MHLW-to-CFA"                      # row 2: not AGENCY=key
    rows[1]["successions"] = "MHLW=no-such-move"                # row 3: unknown key
    rows[2]["successions"] = f"NPA={MOVE}"                      # row 4: MOVE moves MHLW's functions, not NPA's
    _by_id(rows, "bp17-4-04")["successions"] = f"MOJ={MOVE}"   # MOJ is not among the row's agencies
    rows[3]["successions"] = f"MHLW={MOVE};MHLW={MOVE}"         # row 5: twice
    rows[6]["title_en"] = "Changed, but the file has bad rows"
    row_4_04 = rows.index(_by_id(rows, "bp17-4-04")) + 2
    r = loaded_cli("plan", "import", str(_write(tmp_path / "bad.csv", rows)))
    assert r.exit_code == 2
    assert "row 2, successions: 'MHLW-to-CFA' is not AGENCY=succession-key" in r.stderr
    assert f"row 3, successions: no succession 'no-such-move' (for MHLW: {MOVE})" in r.stderr
    assert f"row 4, successions: succession {MOVE} moves functions of MHLW, not of NPA" in r.stderr
    assert "row 5, successions: MHLW is given two successions" in r.stderr
    assert f"row {row_4_04}, successions: MOJ is not among the measure's agencies" in r.stderr
    assert _export(loaded_cli) == before
    assert _audit(loaded_cli, "measure:succession:set") == []


def test_cli_records_a_succession_as_the_coordinator_only(loaded_cli: Cli) -> None:
    loaded_cli("user", "add", "coord", "--role", "coordinator")
    loaded_cli("user", "add", "mhlw1", "--role", "agency_officer", "--agency", "MHLW")
    r = loaded_cli("plan", "succession", "bp17-4-04", "MHLW", MOVE, "--reason", "guidance moved", "--as", "mhlw1")
    assert r.exit_code == 1 and "only the plan office" in r.stderr
    r = loaded_cli("plan", "succession", "bp17-4-04", "mhlw", MOVE, "--reason", "guidance moved", "--as", "coord")
    assert r.exit_code == 0, r.output
    assert f"none -> {MOVE}" in r.stderr
    assert _by_id(_export(loaded_cli), "bp17-4-04")["successions"] == f"MHLW={MOVE}"
    r = loaded_cli("plan", "succession", "bp17-4-04", "MHLW", MOVE, "--reason", "again")
    assert r.exit_code == 0 and "nothing changed" in r.stderr
    r = loaded_cli("plan", "succession", "bp17-4-04", "MHLW", "--clear", "--reason", "it stayed with MHLW")
    assert r.exit_code == 0, r.output
    assert _by_id(_export(loaded_cli), "bp17-4-04")["successions"] == ""
    actors = [(e[0], e[1]) for e in _audit(loaded_cli, "measure:succession:set")]
    assert actors == [("coord", "measure:bp17-4-04"), ("cli", "measure:bp17-4-04")]


def test_cli_refuses_bad_successions_and_changes_nothing(loaded_cli: Cli) -> None:
    before = _export(loaded_cli)
    cases = [
        (("bp17-4-04", "MHLW", "no-such-move", "--reason", "r"), "succession: no succession 'no-such-move'"),
        (("bp17-4-04", "NPA", MOVE, "--reason", "r"), f"succession: succession {MOVE} moves functions of MHLW"),
        (("bp17-4-04", "MOJ", "--clear", "--reason", "r"), "agency: MOJ is not among the measure's agencies"),
        (("bp17-4-04", "MHLW", MOVE, "--reason", " "), "reason: a change needs a reason"),
        (("bp17-4-04", "MHLW", "--reason", "r"), "give a succession key, or --clear"),
        (("bp17-4-04", "MHLW", MOVE, "--clear", "--reason", "r"), "give a succession key, or --clear"),
        (("bp17-9-99", "MHLW", MOVE, "--reason", "r"), "no measure 'bp17-9-99'"),
    ]
    for args, message in cases:
        r = loaded_cli("plan", "succession", *args)
        assert r.exit_code != 0 and message in r.stderr, (args, r.stderr)
    assert _export(loaded_cli) == before


def test_api_records_a_succession_and_reports_roll_up(client, loaded: Session, make_user, api_token) -> None:  # type: ignore[no-untyped-def]
    coord = make_user(roles.COORDINATOR)
    h = {"Authorization": f"Bearer {api_token(coord, ['plan:write'])}"}
    url = "/api/v1/measures/bp17-4-04/agencies/MHLW/succession"
    assert "bp17-4-04" not in [m["id"] for m in client.get("/api/v1/measures", params={"agency": "CFA"}).json()]
    r = client.put(url, json={"succession": MOVE, "reason": "child guidance moved"}, headers=h)
    assert r.status_code == 200, r.text
    mhlw = next(a for a in r.json()["agencies"] if a["agency"]["code"] == "MHLW")
    assert mhlw["succession"] == MOVE and mhlw["current_agency"]["code"] == "CFA"
    assert "bp17-4-04" in [m["id"] for m in client.get("/api/v1/measures", params={"agency": "CFA"}).json()]
    ev = loaded.scalars(select(audit.AuditEvent).where(audit.AuditEvent.action == "measure:succession:set")).all()
    assert [(e.actor, e.target) for e in ev] == [(coord.username, "measure:bp17-4-04")]
    r = client.put(url, json={"succession": None, "reason": "it stayed"}, headers=h)
    assert r.status_code == 200
    assert next(a for a in r.json()["agencies"] if a["agency"]["code"] == "MHLW")["current_agency"]["code"] == "MHLW"


def test_api_refuses_others_and_bad_values_without_change(client, loaded: Session, make_user, api_token) -> None:  # type: ignore[no-untyped-def]
    officer = {"Authorization": f"Bearer {api_token(make_user(roles.AGENCY_OFFICER, agency='MHLW'), ['plan:write'])}"}
    coord = {"Authorization": f"Bearer {api_token(make_user(roles.COORDINATOR), ['plan:write'])}"}
    url = "/api/v1/measures/bp17-4-04/agencies/{}/succession"
    r = client.put(url.format("MHLW"), json={"succession": MOVE, "reason": "mine"}, headers=officer)
    assert r.status_code == 403
    r = client.put(url.format("NPA"), json={"succession": MOVE, "reason": "r"}, headers=coord)
    assert r.status_code == 422 and "moves functions of MHLW, not of NPA" in r.text
    r = client.put(url.format("MHLW"), json={"succession": "no-such-move", "reason": "r"}, headers=coord)
    assert r.status_code == 422 and "no succession 'no-such-move'" in r.text
    assert client.put("/api/v1/measures/nope/agencies/MHLW/succession", json={"succession": MOVE, "reason": "r"},
                      headers=coord).status_code == 404
    loaded.expire_all()
    m = loaded.scalar(select(Measure).where(Measure.uid == "bp17-4-04"))
    assert m is not None and all(a.succession_id is None for a in m.assignments)
