"""Every CSV mamoru writes neutralises cells a spreadsheet program would run (CSV injection): text
starting with =, +, -, @, a tab or a carriage return gets a leading apostrophe (mamoru.xlsx.neutral_cell).

EXPORTS lists every CSV writer in src (csv.writer / csv.DictWriter; `test_every_csv_writer_is_listed`
fails on a new one not listed), each driven through its command with hostile values put into a field
that ends up in the file: a measure's title (`plan export`), an entry's narrative (`followup round
export`), a bank entry's category, case reference and item (`bank export`), a blocking-list entry's
category (`blocklist export`), a token's name (`token list`), bank names and image file names
(`match`), image file names (`hash`). Images are generated noise, nothing else.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from tests.conftest import REPO, TEST_PASSWORD
from tests.factories import users
from typer.testing import CliRunner

from mamoru.auth import roles as R
from mamoru.db import Database
from mamoru.xlsx import FORMULA_LEADS

HOSTILE = ["=HYPERLINK(\"http://x.test\",\"a\")", "+1+1", "-2+3", "@SUM(1,1)", "\t=1+1", "\r=1+1"]
"""One value per formula lead; tab and carriage return lead a formula behind them."""
NAMES = ["=1+1", "+1", "-1+1", "@A1"]
"""For fields that refuse control characters (bank names) or cannot hold them (file names are fine,
but keep both lists short)."""
_NUMBER = re.compile(r"-\d+(\.\d+)?([eE][-+]?\d+)?")


@dataclass
class World:
    tmp: Path
    env: dict[str, str]
    db: Database
    runner: CliRunner

    def __call__(self, *args: str) -> str:
        from mamoru.cli.app import app

        r = self.runner.invoke(app, list(args), env=self.env, catch_exceptions=False)
        assert r.exit_code == 0, r.output
        return str(r.stdout)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    url = f"sqlite:///{tmp_path / 'csv.db'}"
    env = {"MAMORU_DATABASE_URL": url, "MAMORU_VAR_DIR": str(tmp_path / "var"),
           "MAMORU_NEW_PASSWORD": TEST_PASSWORD, "MAMORU_AUDIT_KEY": str(tmp_path / "keys" / "audit.key")}
    w = World(tmp_path, env, Database.from_url(url), CliRunner())
    w("db", "upgrade")
    yield w
    w.db.engine.dispose()


def plan_export(w: World) -> str:
    from mamoru.plan.models import Measure

    w("plan", "load")
    with w.db.session() as s:
        uids = [m.uid for m in s.query(Measure).order_by(Measure.id).limit(len(HOSTILE))]
    for uid, value in zip(uids, HOSTILE, strict=True):
        w("plan", "amend", uid, "--reason", "test", "--title-en", value)
    return w("plan", "export", "--format", "csv")


def round_export(w: World) -> str:
    from mamoru.followup import rounds
    from mamoru.followup.models import RoundEntry

    w("plan", "load")
    with w.db.session() as s:
        coordinator = users.user(s, R.COORDINATOR)
        r = rounds.open_round(s, coordinator, [2024], date(2030, 1, 1))
        entries = s.query(RoundEntry).filter_by(round_id=r.id).order_by(RoundEntry.id).limit(len(HOSTILE)).all()
        for e, value in zip(entries, HOSTILE, strict=True):
            e.narrative_en, e.narrative_ja = value, value
        round_id = r.id
    return w("round", "export", str(round_id), "--format", "csv")


def bank_export(w: World) -> str:
    w("bank", "create", "b")
    rows = io.StringIO()
    out = csv.writer(rows)  # "\r\n": a field holding a carriage return is quoted
    out.writerow(["hash", "category", "case_ref", "item"])
    for n, value in enumerate(HOSTILE):
        out.writerow([f"{n + 1:064x}", value, value, value])
    (w.tmp / "bank.csv").write_text(rows.getvalue())
    w("bank", "import", "b", str(w.tmp / "bank.csv"), "--format", "csv")
    return w("bank", "export", "b", "--format", "csv")


def blocklist_export(w: World) -> str:
    from mamoru.blocklist import service

    with w.db.session() as s:
        proposer, confirmer = users.user(s, R.ANALYST), users.user(s, R.SENIOR_ANALYST)
        for n, value in enumerate(HOSTILE):
            e = service.propose(s, proposer, "host", f"h{n}.bad.example", "case", category=value)
            service.confirm(s, confirmer, e.id)
    return w("blocklist", "export", "--format", "csv")


def token_list(w: World) -> str:
    from mamoru.auth.service import issue_token

    with w.db.session() as s:
        owner = users.user(s, R.ANALYST, username="owner")
        for value in HOSTILE:
            issue_token(s, owner, value, ["hotline:read"])
    return w("token", "list", "owner")


def _images(folder: Path) -> list[Path]:
    """Noise images (benign), one per hostile name, in `folder`."""
    folder.mkdir()
    rng = np.random.default_rng(13)
    paths = []
    for name in NAMES:
        p = folder / f"{name}.png"
        Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(p)
        paths.append(p)
    return paths


def match(w: World, monkeypatch: pytest.MonkeyPatch) -> str:
    from mamoru.matching.hashing import hash_bytes

    paths = _images(w.tmp / "images")
    hexes = [hash_bytes(p.read_bytes()).pdq for p in paths]
    for name in NAMES:
        w("bank", "create", "--", name)
        (w.tmp / "list.txt").write_text("".join(h + "\n" for h in hexes))
        w("bank", "import", "--format", "lines", "--", name, str(w.tmp / "list.txt"))
    monkeypatch.chdir(w.tmp / "images")  # the query column holds the path as given: the bare file name
    banks = [a for name in NAMES for a in ("--bank", name)]
    return w("match", ".", *banks)


def hash_files(w: World, monkeypatch: pytest.MonkeyPatch) -> str:
    paths = _images(w.tmp / "images")
    monkeypatch.chdir(w.tmp / "images")
    return w("hash", "--", *[p.name for p in paths])


EXPORTS: dict[str, Callable[..., str]] = {
    "plan export": plan_export, "followup round export": round_export, "bank export": bank_export,
    "blocklist export": blocklist_export, "token list": token_list, "match": match, "hash": hash_files}
WRITERS = {  # where each export's CSV is written
    "plan export": "src/mamoru/plan/io.py", "followup round export": "src/mamoru/followup/spreadsheet.py",
    "bank export": "src/mamoru/matching/banks.py", "blocklist export": "src/mamoru/blocklist/compiler.py",
    "token list": "src/mamoru/cli/user.py", "match": "src/mamoru/cli/match.py", "hash": "src/mamoru/cli/hashing.py"}


def runs(cell: str) -> bool:
    return cell.startswith(FORMULA_LEADS) and not _NUMBER.fullmatch(cell)


@pytest.mark.parametrize("export", sorted(EXPORTS))
def test_no_csv_export_holds_a_cell_a_spreadsheet_would_run(export: str, world: World,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    fn: Any = EXPORTS[export]
    text = fn(world, monkeypatch) if export in ("match", "hash") else fn(world)
    cells = [c for row in csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")) for c in row]
    assert not [c for c in cells if runs(c)], f"{export} wrote cells a spreadsheet would run"
    sent = NAMES if export in ("match", "hash") else HOSTILE
    # the hostile values reached the file (neutralised), so the check above saw them
    reached = {v for v in sent if any(c.startswith("'") and v.strip() in c for c in cells)}
    assert reached >= {v for v in sent if not v[0].isspace()}, (export, sorted(set(sent) - reached), cells[:40])


# the public open data and indicator downloads: their writers are checked here with hostile cells
OPEN_DATA_WRITERS = {"open data": "src/mamoru/followup/opendata.py",
                     "indicator download": "src/mamoru/followup/indicator_data.py"}


def test_open_data_and_indicator_downloads_neutralise_cells_a_spreadsheet_would_run() -> None:
    from types import SimpleNamespace

    from mamoru.followup import indicator_data, opendata
    from mamoru.followup.indicators import Point

    hostile = [h for h in HOSTILE if not h[0].isspace()]
    ds = opendata.Dataset("t", "t", "t", ("a", "b"), [{"a": h, "b": [h]} for h in hostile], None)
    cells = [c for row in csv.reader(io.StringIO(ds.csv().decode("utf-8"), newline="")) for c in row]
    assert not [c for c in cells if runs(c)] and len(cells) == 2 + 2 * len(hostile)
    ind = SimpleNamespace(code="x", unit_en="children", unit_ja="人")
    points = [Point("2023", 1.0, "", "final", h, None, []) for h in hostile]
    text = indicator_data.csv_text(SimpleNamespace(indicator=ind, points=points))  # type: ignore[arg-type]
    sources = [row[8] for row in csv.reader(io.StringIO(text, newline=""))][1:]
    assert sources == ["'" + h for h in hostile]  # each reached the file, neutralised


def test_every_csv_writer_is_listed() -> None:
    writers = {str(p.relative_to(REPO)) for p in (REPO / "src" / "mamoru").rglob("*.py")
               if re.search(r"csv\.(writer|DictWriter)\(", p.read_text(encoding="utf-8"))}
    assert writers == set(WRITERS.values()) | set(OPEN_DATA_WRITERS.values())
