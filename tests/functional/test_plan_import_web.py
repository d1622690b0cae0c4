"""The plan office imports a plan's full measure list from the web and the API (issue 14, "the plan in
force"): a CSV or XLSX upload is previewed (what it adds, changes and refuses, each measure with its
lineage to the previous plan), then confirmed; a refused row imports nothing; a file the spreadsheet
limits refuse is never read; the lineage maps the 2022 revision's measures to the 2017 plan's, and
mamoru.plan.lineage follows it back."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mamoru.auth import roles
from mamoru.plan import lineage
from mamoru.plan.io import COLUMNS, write_rows
from mamoru.plan.models import Measure, Pillar, Plan

RW = ["plan:read", "plan:write"]
NEW = "basic-plan-2022"


def _row(**values: str) -> dict[str, str]:
    return {c: values.get(c, "") for c in COLUMNS}


ROWS = [
    _row(id="bp22-1-01", code="1-1", pillar="1", title_en="Public awareness, revised", title_ja="広報啓発の推進（改定）",
         agencies="CFA;NPA", lineage="revised", predecessors="bp17-1-01", main="true"),
    _row(id="bp22-1-02", code="1-2", pillar="1", title_en="Child guidance, merged", title_ja="児童相談体制（統合）",
         agencies="CFA", lineage="merged", predecessors="bp17-6-03;bp17-6-04"),
    _row(id="bp22-1-03", code="1-3", pillar="1", title_en="Generative AI measures", title_ja="生成AIへの対応",
         agencies="CFA", lineage="new"),
]


def _csv(rows: list[dict[str, str]]) -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


@pytest.fixture
def revision(loaded: Session) -> Session:
    """The shipped plans, with the 2022 revision's first pillar (the shipped data has none yet)."""
    plan = loaded.scalar(select(Plan).where(Plan.key == NEW))
    assert plan is not None
    loaded.add(Pillar(plan_id=plan.id, number=1, title_en="Awareness", title_ja="広報啓発"))
    loaded.commit()
    return loaded


def _office(make_user: Any, api_token: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token(make_user(roles.COORDINATOR), RW)}"}


def test_api_previews_then_imports_with_lineage(client: Any, revision: Session, make_user: Any,
                                                api_token: Any) -> None:
    office = _office(make_user, api_token)
    url = f"/api/v1/plans/{NEW}/import"
    bad = [*ROWS, _row(code="1-4", pillar="1", title_en="x", agencies="NOPE", lineage="revised",
                       predecessors="bp22-1-01")]
    p = client.post(f"{url}?dry_run=true", files={"file": ("m.csv", _csv(bad), "text/csv")}, headers=office).json()
    assert p["importable"] is False and {(x["row"], x["field"]) for x in p["refused"]} == {(5, "agencies"),
                                                                                            (5, "predecessors")}
    refused = client.post(url, files={"file": ("m.csv", _csv(bad), "text/csv")}, headers=office)
    assert refused.status_code == 422 and revision.scalar(select(Measure).where(Measure.uid == "bp22-1-01")) is None
    officer = {"Authorization": f"Bearer {api_token(make_user(roles.AGENCY_OFFICER, agency='NPA'), RW)}"}
    assert client.post(f"{url}?dry_run=true", files={"file": ("m.csv", _csv(ROWS), "text/csv")},
                       headers=officer).status_code == 403
    p = client.post(f"{url}?dry_run=true", files={"file": ("m.xlsx", write_rows(ROWS, "xlsx"), "application/x")},
                    headers=office).json()
    assert p["importable"] is True and [m["code"] for m in p["added"]] == ["1-1", "1-2", "1-3"]
    assert [(m["lineage"], m["predecessors"]) for m in p["added"]] == [
        ("revised", ["bp17-1-01"]), ("merged", ["bp17-6-03", "bp17-6-04"]), ("new", [])]
    revision.expire_all()
    assert revision.scalar(select(Measure).where(Measure.uid == "bp22-1-01")) is None  # a preview imports nothing
    stale = client.post(url, files={"file": ("m.csv", _csv(ROWS[:2]), "text/csv")}, data={"expect": p["digest"]},
                        headers=office)
    assert stale.status_code == 409  # not the file the preview showed
    done = client.post(url, files={"file": ("m.csv", _csv(ROWS), "text/csv")}, data={"expect": p["digest"]},
                       headers=office).json()
    assert sorted(done["imported"]["created"]) == ["bp22-1-01", "bp22-1-02", "bp22-1-03"]
    revision.expire_all()
    merged = revision.scalar(select(Measure).where(Measure.uid == "bp22-1-02"))
    assert merged is not None
    assert [m.uid for m in lineage.predecessors(revision, merged)] == ["bp17-6-03", "bp17-6-04"]
    assert [m.uid for m in lineage.line(revision, merged)] == ["bp17-6-03", "bp17-6-04", "bp22-1-02"]
    old = revision.scalar(select(Measure).where(Measure.uid == "bp17-1-01"))
    assert old is not None and [x.measure.uid for x in lineage.successors(revision, old)] == ["bp22-1-01"]
    assert lineage.predecessors(revision, old) == [] and lineage.line(revision, old) == [old]
    changed = [{**r, "title_ja": r["title_ja"] + "。"} if r["id"] == "bp22-1-03" else r for r in ROWS]
    again = client.post(f"{url}?dry_run=true", files={"file": ("m.csv", _csv(changed), "text/csv")},
                        headers=office).json()
    assert again["added"] == [] and again["unchanged"] == 2
    assert [(m["id"], m["changes"]) for m in again["changed"]] == [("bp22-1-03", ["title_ja"])]


def test_page_previews_refuses_in_japanese_and_confirms(client: Any, revision: Session, make_user: Any,
                                                        login_as: Any) -> None:
    csrf = login_as(make_user(roles.COORDINATOR))
    page = f"/plans/{NEW}/import"
    assert 'id="import-link"' in client.get(f"/plans/{NEW}").text
    wrong = client.post(f"{page}?lang=ja", data={"csrf_token": csrf, "reason": "改定版の取込み"},
                        files={"file": ("m.txt", b"id,code\n", "text/plain")})
    assert wrong.status_code == 422 and "CSV または XLSX ファイル" in wrong.text and 'value="改定版の取込み"' in wrong.text
    hostile = client.post(f"{page}?lang=ja", data={"csrf_token": csrf},
                          files={"file": ("m.xlsx", b"PK\x03\x04 not really a workbook", "application/x")})
    assert hostile.status_code == 422 and 'id="import-preview"' not in hostile.text
    bad = [*ROWS[:1], _row(code="1-9", pillar="7", title_en="x", agencies="CFA")]
    refused = client.post(f"{page}?lang=ja", data={"csrf_token": csrf},
                          files={"file": ("m.csv", _csv(bad), "text/csv")})
    assert refused.status_code == 422 and "ファイルのどの行も取り込まれません" in refused.text
    assert "3 行目" in refused.text and 'id="import-confirm"' not in refused.text
    preview = client.post(f"{page}?lang=ja", data={"csrf_token": csrf, "reason": "改定版の取込み"},
                          files={"file": ("m.csv", _csv(ROWS), "text/csv")})
    assert preview.status_code == 200 and 'id="import-confirm"' in preview.text
    added = preview.text[preview.text.index('id="preview-added"'):].split("</table>")[0]
    assert added.count("<tr>") == 4 and "広報啓発の推進（改定）" in added and 'href="/measures/bp17-6-04"' in added
    form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', preview.text.split('id="import-confirm"')[1]))
    ok = client.post(f"{page}/confirm", data={**form, "csrf_token": csrf}, follow_redirects=False)
    assert ok.status_code == 303
    plan_page = client.get(f"/plans/{NEW}?lang=ja").text
    assert "生成AIへの対応" in plan_page
    measure = client.get("/measures/bp22-1-02?lang=ja").text
    assert 'href="/measures/bp17-6-03"' in measure and 'href="/measures/bp17-6-04"' in measure
    twice = client.post(f"{page}/confirm?lang=ja", data={**form, "csrf_token": csrf})
    assert twice.status_code == 409 and "もう一度プレビューしてください" in twice.text  # already imported: changed
    csrf = login_as(make_user(roles.AGENCY_OFFICER, agency="CFA"))
    assert client.get(page).status_code == 403


def test_cli_dry_run_prints_what_the_import_would_do(loaded_cli: Any, tmp_path: Any) -> None:
    from mamoru.db import Database

    db = Database.from_url(loaded_cli.env["MAMORU_DATABASE_URL"])
    with db.session() as s:
        plan = s.scalar(select(Plan).where(Plan.key == NEW))
        assert plan is not None
        s.add(Pillar(plan_id=plan.id, number=1, title_en="Awareness", title_ja="広報啓発"))
    path = tmp_path / "m.csv"
    path.write_bytes(_csv(ROWS))
    r = loaded_cli("plan", "import", str(path), "--plan", NEW, "--dry-run")
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[0] == "3 rows: 3 to add, 0 to change, 0 unchanged, 0 refused"
    assert "  add 1-2 児童相談体制（統合） [merged: bp17-6-03, bp17-6-04]" in r.stdout
    assert loaded_cli("plan", "export", "--plan", NEW).stdout.count("\n") == 1  # the header only: nothing imported
