"""Open data (issue 14): the published plan, each published round's accepted entries and every indicator's
public values as CSV (UTF-8, no byte order mark) and JSON under stable portal URLs, listed on one page with
the licence and the time of the last change; and the Done-when check: a round published with drafts,
submitted and returned entries shows none of them in the PDF, the HTML report, the portal or the open data."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from tests.factories.followup import entry, public_value
from tests.functional.followup.test_publishing import ACCEPTED, DRAFT, RETURNED, SUBMITTED, _round_in_every_state

from mamoru.followup import indicator_values, opendata
from mamoru.followup import indicators as isvc
from mamoru.followup.errata import add_erratum
from mamoru.followup.report import render
from mamoru.followup.rounds import publish_round

HIDDEN = (DRAFT, SUBMITTED, RETURNED)


def _csv(body: bytes) -> list[dict[str, str]]:
    assert not body.startswith(b"\xef\xbb\xbf"), "no byte order mark"
    return list(csv.DictReader(io.StringIO(body.decode("utf-8"))))


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_drafts_submitted_and_returned_entries_are_nowhere_public(client, fu, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = _round_in_every_state(fu)
    publish_round(fu, None, r)
    fu.commit()
    (tmp_path / "r.pdf").write_bytes(client.get(f"/portal/rounds/{r.id}/report-ja.pdf").content)
    texts = {"pdf": subprocess.run(["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True,
                                   check=True).stdout.replace("\n", ""),
             "html report": render(fu, r, "ja", "html").decode(),
             "portal round": client.get(f"/portal/rounds/{r.id}?lang=ja").text,
             "round csv": client.get(f"/portal/data/round-{r.id}.csv").content.decode(),
             "round json": client.get(f"/portal/data/round-{r.id}.json").content.decode(),
             "history": client.get(f"/portal/measures/{entry(fu, '1-1', 'NPA').measure.uid}?lang=ja").text
                        + client.get(f"/portal/measures/{entry(fu, '3-1', 'NPA').measure.uid}?lang=ja").text,
             "history json": client.get(f"/api/v1/measures/{entry(fu, '3-1', 'MOJ').measure.uid}/history").text}
    for where, text in texts.items():
        assert not [h for h in HIDDEN if h in text], where
    for where in ("pdf", "html report", "portal round", "round csv", "round json"):
        assert all(a in texts[where] for a in ACCEPTED), where
    assert ACCEPTED[0] in texts["history"]


def test_each_dataset_as_csv_and_json(client, fu) -> None:  # type: ignore[no-untyped-def]
    r = _round_in_every_state(fu)
    assert client.get(f"/portal/data/round-{r.id}.csv").status_code == 404  # not published yet
    publish_round(fu, None, r)
    target = entry(fu, "1-1", "NPA")
    add_erratum(fu, None, r, reason="誤記", text_ja="正しくは12回", entry_key=target.key)
    fu.commit()
    got = client.get(f"/portal/data/round-{r.id}.csv")
    assert got.status_code == 200 and got.headers["content-type"] == "text/csv; charset=utf-8"
    assert "last-modified" in got.headers
    rows = _csv(got.content)
    assert {(x["code"], x["agency"]) for x in rows} == {("1-1", "NPA"), ("1-2", "CAO")}
    fixed = next(x for x in rows if x["agency"] == "NPA")
    assert fixed["narrative_ja"] == ACCEPTED[0] and json.loads(fixed["errata"])[0]["text_ja"] == "正しくは12回"
    doc = client.get(f"/portal/data/round-{r.id}.json").json()
    assert doc["columns"] == list(opendata.ROUND_COLUMNS) and len(doc["rows"]) == 2 and doc["licence"]
    assert [x["code"] for x in doc["rows"]] == [x["code"] for x in rows]
    plan = _csv(client.get("/portal/data/plan.csv").content)
    assert [x["code"] for x in plan][:2] == ["1-1", "1-2"] and len(plan) == 7
    assert plan[0]["title_ja"] == "フィルタリングの普及啓発" and plan[0]["agencies"] == "NPA MIC"
    assert client.get("/portal/data/plan.json").json()["rows"][0]["measure"] == plan[0]["measure"]
    for missing in ("/portal/data/round-999.csv", "/portal/data/secrets.csv", "/portal/data/plan.xml"):
        assert client.get(missing).status_code == 404, missing


def test_indicators_give_the_public_values_only_current_ones(client, fu) -> None:  # type: ignore[no-untyped-def]
    ind = isvc.define_indicator(fu, None, "test-victims", {"title_ja": "被害児童数（試験）", "unit_ja": "人"})
    public_value(fu, ind, "2021", 100, source="警察庁")
    provisional = public_value(fu, ind, "2022", 90, status="provisional", source="警察庁（暫定）")
    public_value(fu, ind, "2022", 95, corrects=provisional, source="警察庁（確定）")  # supersedes the provisional figure
    indicator_values.add_value(fu, None, ind, "2023", 80, source="警察庁")  # a draft: never public
    fu.commit()
    rows = [x for x in _csv(client.get("/portal/data/indicators.csv").content) if x["indicator"] == "test-victims"]
    assert [(x["period"], float(x["value"]), x["status"]) for x in rows] == [("2021", 100, "final"), ("2022", 95, "final")]
    shown = {(p.period, p.value) for p in opendata.public_series(fu, ind, isvc.NO_LIVE_PROVIDERS)}
    assert {(x["period"], float(x["value"])) for x in rows} == shown
    doc = client.get("/portal/data/indicators.json").json()
    assert {x["value"] for x in doc["rows"] if x["indicator"] == "test-victims"} == {100, 95}


def test_the_open_data_page_lists_everything_with_licence_and_jst_time(client, fu) -> None:  # type: ignore[no-untyped-def]
    r = _round_in_every_state(fu)
    publish_round(fu, None, r)
    fu.commit()
    ja = client.get("/portal/data?lang=ja").text
    for key in ("plan", f"round-{r.id}", "indicators"):
        assert f'href="/portal/data/{key}.csv"' in ja and f'href="/portal/data/{key}.json"' in ja
    assert "公共データ利用規約" in ja and re.search(r'id="last-change">最終更新: <time[^>]*>\d{4}-\d\d-\d\d \d\d:\d\d JST', ja)
    en = client.get("/portal/data?lang=en").text
    assert "Public Data License" in en and "Open data" in en
    home = client.get("/portal?lang=ja").text
    assert f'href="/portal/rounds/{r.id}/report-ja.pdf"' in home and f'href="/portal/rounds/{r.id}/report-en.pdf"' in home
    assert 'href="/portal/data"' in home
