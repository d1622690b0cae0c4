"""Uploads for import through the web: size limits, no temporary copies left behind, no content logged.

Upload paths: the hotline's partner CSV import (POST /api/v1/hotline/reports/csv), the follow-up
spreadsheet import (POST /api/v1/followup/rounds/{id}/import), the plan's measure-list import (POST
/api/v1/plans/{key}/import and the page's POST /plans/{key}/import), and the hash bank import (POST
/api/v1/banks/{name}/import and the banks page's POST /matching/import). The temporary directory is
a private one for the test, watched before and after.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

MARKER = "secret-marker-do-not-log"


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def oversize_csv(header: str, megabytes: int) -> bytes:
    line = f"http://example.test/{MARKER}/" + "a" * 80 + "\n"
    return (header + "\n" + line * (megabytes * 1024 * 1024 // len(line) + 1)).encode()


def test_hotline_csv_import_refuses_oversize_leaves_no_temp_file_and_logs_no_content(
        app: Any, loaded: Any, make_user: Any, api_token: Any, private_tmp: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    from sqlalchemy import func, select

    from mamoru.hotline.models import Report

    token = api_token(make_user("analyst"), ["flagger"])
    caplog.set_level(logging.DEBUG)
    with TestClient(app) as client:
        r = client.post("/api/v1/hotline/reports/csv?partner=p", content=oversize_csv("url", 6),
                        headers={"Authorization": f"Bearer {token}", "content-type": "text/csv"})
    assert r.status_code == 413, r.text[:200]
    assert loaded.scalar(select(func.count()).select_from(Report)) == 0
    assert os.listdir(private_tmp) == []
    assert MARKER not in caplog.text


@pytest.mark.parametrize("megabytes", [6, 12])  # over the route's 5 MB; over the 8 MB ceiling on every body
def test_followup_import_refuses_oversize(app: Any, loaded: Any, make_user: Any, api_token: Any,
                                         private_tmp: Path, caplog: pytest.LogCaptureFixture, megabytes: int) -> None:
    from mamoru.followup import rounds

    coordinator = make_user("coordinator")
    r0 = rounds.open_round(loaded, coordinator, [2024], date(2030, 1, 1))
    loaded.commit()
    token = api_token(coordinator, ["plan:read", "plan:write"])
    caplog.set_level(logging.DEBUG)
    body = oversize_csv("entry_id,status", megabytes)
    with TestClient(app) as client:
        r = client.post(f"/api/v1/followup/rounds/{r0.id}/import", files={"file": ("big.csv", body, "text/csv")},
                        headers={"Authorization": f"Bearer {token}"})
    assert os.listdir(private_tmp) == []
    assert MARKER not in caplog.text
    assert r.status_code == 413, r.text[:200]


@pytest.mark.parametrize("door", ["api", "page"])
def test_plan_import_refuses_oversize_imports_nothing_and_leaves_no_temp_file(
        app: Any, loaded: Any, make_user: Any, api_token: Any, private_tmp: Path,
        caplog: pytest.LogCaptureFixture, door: str) -> None:
    """The measure-list import (web page and API, issue 14) takes at most 5 MB, like the round import."""
    from sqlalchemy import func, select
    from tests.conftest import login

    from mamoru.plan.models import Measure

    coordinator = make_user("coordinator")
    before = loaded.scalar(select(func.count()).select_from(Measure))
    caplog.set_level(logging.DEBUG)
    body = oversize_csv("id,code,pillar,title_en,agencies", 6)
    with TestClient(app) as client:
        if door == "api":
            r = client.post("/api/v1/plans/basic-plan-2017/import?dry_run=true",
                            files={"file": ("big.csv", body, "text/csv")},
                            headers={"Authorization": f"Bearer {api_token(coordinator, ['plan:read', 'plan:write'])}"})
        else:
            csrf = login(client, coordinator.username)
            r = client.post("/plans/basic-plan-2017/import", data={"csrf_token": csrf},
                            files={"file": ("big.csv", body, "text/csv")})
    assert r.status_code == 413, r.text[:200]
    assert loaded.scalar(select(func.count()).select_from(Measure)) == before
    assert os.listdir(private_tmp) == []
    assert MARKER not in caplog.text


@pytest.mark.parametrize("door", ["api", "page"])
def test_bank_import_refuses_oversize_stores_nothing_and_leaves_no_temp_file(
        app: Any, session: Any, make_user: Any, api_token: Any, private_tmp: Path,
        caplog: pytest.LogCaptureFixture, door: str) -> None:
    import secrets

    from sqlalchemy import func, select
    from tests.conftest import login
    from tests.factories.matching import bank

    from mamoru.matching.models import HashBankEntry

    name = bank(session, f"upload-{secrets.token_hex(4)}").name
    senior = make_user("senior_analyst")
    line = ("5e" * 32 + "\n").encode()  # a good PDQ hash a line, 6 MB of them
    body = line * (6 * 1024 * 1024 // len(line))
    caplog.set_level(logging.DEBUG)
    with TestClient(app) as client:
        if door == "api":
            r = client.post(f"/api/v1/banks/{name}/import", data={"format": "lines"},
                            files={"file": ("big.txt", body, "text/plain")},
                            headers={"Authorization": f"Bearer {api_token(senior, ['banks'])}"})
        else:
            csrf = login(client, senior.username)
            r = client.post("/matching/import", data={"csrf_token": csrf, "bank": name, "format": "lines"},
                            files={"file": ("big.txt", body, "text/plain")})
    assert r.status_code == 413, r.text[:200]
    assert session.scalar(select(func.count()).select_from(HashBankEntry)
                          .where(HashBankEntry.hash == line.decode().strip())) == 0
    assert os.listdir(private_tmp) == []
    assert line.decode().strip() not in caplog.text


def test_a_streamed_body_without_length_is_cut_off_at_the_ceiling(app: Any, make_user: Any, api_token: Any) -> None:
    """No Content-Length (chunked): the body is counted as it arrives and refused past 8 MB."""
    from mamoru.web.limits import MAX_REQUEST_BYTES

    token = api_token(make_user("analyst"), ["flagger"])

    def chunks() -> Any:
        piece = b"http://example.test/x\n" * 4096
        sent = 0
        while sent <= MAX_REQUEST_BYTES:
            yield piece
            sent += len(piece)

    with TestClient(app) as client:
        r = client.post("/api/v1/hotline/reports/csv?partner=p", content=chunks(),
                        headers={"Authorization": f"Bearer {token}", "content-type": "text/csv"})
    assert r.status_code == 413, r.text[:200]
    assert "limit" in r.json()["detail"]


# -- uploads that succeed: the parser's spooled copy (on disk past 1 MB) is gone afterwards -------

def open_files_under(folder: Path) -> list[str]:
    """Files this process holds open under `folder` (unlinked temporary files included)."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(folder)):
            found.append(target)
    return found


@pytest.fixture
def disk_copies(private_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every temporary file the upload parser rolls over to disk (SpooledTemporaryFile -> TemporaryFile)."""
    made: list[Any] = []
    real = tempfile.TemporaryFile

    def counting(*args: Any, **kwargs: Any) -> Any:
        f = real(*args, **kwargs)
        made.append(f)
        return f

    monkeypatch.setattr(tempfile, "TemporaryFile", counting)
    return made


def assert_no_copy_left(private_tmp: Path, disk_copies: list[Any]) -> None:
    assert disk_copies, "the upload never reached the disk: the test would prove nothing"
    assert all(f.closed for f in disk_copies)
    assert os.listdir(private_tmp) == [] and open_files_under(private_tmp) == []


def test_the_temporary_directory_probe_sees_an_open_unlinked_file(private_tmp: Path) -> None:
    with tempfile.TemporaryFile() as f:  # unlinked at once on Linux: only its descriptor shows it
        assert os.listdir(private_tmp) == [] and len(open_files_under(private_tmp)) == 1
    assert f.closed and open_files_under(private_tmp) == []


def test_bank_import_that_succeeds_leaves_no_temporary_copy(app: Any, session: Any, make_user: Any, api_token: Any,
                                                           private_tmp: Path, disk_copies: list[Any]) -> None:
    import secrets

    from tests.factories.matching import bank

    name = bank(session, f"upload-ok-{secrets.token_hex(4)}").name
    hashes = [secrets.token_hex(32) for _ in range(20_000)]  # 1.3 MB: past the parser's 1 MB spool
    body = ("\n".join(hashes) + "\n").encode()
    token = api_token(make_user("senior_analyst"), ["banks"])
    with TestClient(app) as client:
        r = client.post(f"/api/v1/banks/{name}/import", data={"format": "lines"},
                        files={"file": ("ok.txt", body, "text/plain")}, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 201, r.text[:300]
    assert r.json()["imported"] == len(set(hashes))
    assert_no_copy_left(private_tmp, disk_copies)


def _padded_sheet(session: Any, r: Any) -> bytes:
    """The round's exported sheet with one narrative edited and a memo column: over 1 MB in all."""
    import csv
    import io

    from mamoru.followup.spreadsheet import COLUMNS, export_rows

    rows = export_rows(session, r)
    rows[0]["narrative_en"] = "Edited through an upload."
    pad = min(100_000, 1_400_000 // len(rows) + 1)  # each cell under the csv module's field limit
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=[*COLUMNS, "memo"], lineterminator="\n")
    w.writeheader()
    w.writerows(dict(row, memo="m" * pad) for row in rows)
    data = buf.getvalue().encode()
    assert 1024 * 1024 < len(data) < 5 * 1024 * 1024
    return data


@pytest.mark.parametrize("door", ["api", "page"])
def test_followup_import_that_succeeds_leaves_no_temporary_copy(app: Any, loaded: Any, make_user: Any,
                                                               api_token: Any, private_tmp: Path,
                                                               disk_copies: list[Any], door: str) -> None:
    from tests.conftest import login

    from mamoru.followup import rounds
    from mamoru.followup.entries import round_entries

    coordinator = make_user("coordinator")
    r0 = rounds.open_round(loaded, coordinator, [2024], date(2030, 1, 1))
    loaded.commit()
    body = _padded_sheet(loaded, r0)
    with TestClient(app) as client:
        if door == "api":
            res = client.post(f"/api/v1/followup/rounds/{r0.id}/import", files={"file": ("sheet.csv", body, "text/csv")},
                              headers={"Authorization": f"Bearer {api_token(coordinator, ['plan:read', 'plan:write'])}"})
            assert res.status_code == 200 and len(res.json()["changed"]) == 1, res.text[:300]
        else:
            csrf = login(client, coordinator.username)
            res = client.post(f"/followup/rounds/{r0.id}/import", data={"csrf_token": csrf},
                              files={"file": ("sheet.csv", body, "text/csv")})
            assert res.status_code == 200, res.text[:300]
    loaded.expire_all()
    assert [e.narrative_en for e in round_entries(loaded, r0)][0] == "Edited through an upload."
    assert_no_copy_left(private_tmp, disk_copies)


# -- forms that take no file: a multipart body is refused by its Content-Type, before it is read ---

def _png_bytes(megabytes: int) -> bytes:
    """A benign generated PNG header followed by padding: only its size matters here."""
    return b"\x89PNG\r\n\x1a\n" + os.urandom(megabytes * 1024 * 1024)


@pytest.mark.parametrize("lang,expected", [("ja", "ファイルを受け取りません"), ("en", "takes no files")])
def test_the_report_form_refuses_a_file_before_storing_a_byte(app: Any, session: Any, private_tmp: Path,
                                                             disk_copies: list[Any], lang: str, expected: str) -> None:
    from sqlalchemy import func, select

    from mamoru.hotline.models import InboxReport, Report

    with TestClient(app) as client:
        page = client.get(f"/report?lang={lang}")
        assert 'enctype="multipart' not in page.text  # the form is urlencoded: it never sends a file
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        r = client.post("/report", data={"url": "http://upload.example.test/", "csrf_token": csrf},
                        files={"evidence": ("shot.png", _png_bytes(3), "image/png")})
    assert r.status_code == 415, r.text[:300]
    assert expected in r.text
    assert disk_copies == []  # the parser never ran: nothing was spooled
    assert os.listdir(private_tmp) == [] and open_files_under(private_tmp) == []
    assert session.scalar(select(func.count()).select_from(Report)) == 0
    assert session.scalar(select(func.count()).select_from(InboxReport)) == 0


def test_a_multipart_body_is_refused_on_every_route_that_takes_no_file(app: Any, private_tmp: Path,
                                                                       disk_copies: list[Any]) -> None:
    """Every unsafe route of the route table: only the declared uploads read a multipart body."""
    from tests.security.routes import flat_routes

    from mamoru.web.limits import takes_files

    uploads = {(m, p) for m, p, r in flat_routes(app) if takes_files(r)}
    assert uploads == {("POST", "/matching/import"), ("POST", "/api/v1/banks/{name}/import"),
                       ("POST", "/api/v1/followup/rounds/{round_id}/import"),
                       ("POST", "/followup/rounds/{round_id}/import"),
                       ("POST", "/api/v1/plans/{key}/import"), ("POST", "/plans/{key}/import")}
    with TestClient(app) as client:
        for method, path, _route in flat_routes(app):
            if method == "GET" or (method, path) in uploads:
                continue
            url = re.sub(r"\{[^}]+\}", "1", path)
            r = client.request(method, url, files={"f": ("x.png", b"\x89PNG\r\n\x1a\n" + b"0" * 2048, "image/png")})
            assert r.status_code == 415, (method, path, r.status_code, r.text[:200])
    assert disk_copies == [] and os.listdir(private_tmp) == []
