"""The entry workflow's pure rules: transitions by role, content checks, spreadsheet cells, diffs."""

from __future__ import annotations

import pytest

from mamoru.followup import workflow as wf


def test_transition_table() -> None:
    assert wf.next_state("submit", "draft", is_coordinator=False, own_agency=True) == "submitted"
    assert wf.next_state("return", "submitted", is_coordinator=True, own_agency=False) == "returned"
    assert wf.next_state("submit", "returned", is_coordinator=False, own_agency=True) == "submitted"
    assert wf.next_state("accept", "submitted", is_coordinator=True, own_agency=False) == "accepted"
    with pytest.raises(wf.TransitionRefused, match="locked"):
        wf.next_state("save", "submitted", is_coordinator=False, own_agency=True)
    with pytest.raises(wf.TransitionRefused, match="plan office"):
        wf.next_state("accept", "submitted", is_coordinator=False, own_agency=True)
    with pytest.raises(wf.TransitionRefused, match="own agency"):
        wf.next_state("save", "draft", is_coordinator=False, own_agency=False)
    with pytest.raises(wf.TransitionRefused):
        wf.next_state("accept", "draft", is_coordinator=True, own_agency=False)


def test_content_checks() -> None:
    c = wf.Content("done", "", "", [{"label_en": "", "value": "x"}], [{"url": "javascript:alert(1)"}])
    fields = [p.field for p in wf.check_content(c, {"implemented"})]
    assert fields == ["status", "figures", "figures", "evidence"]
    ok = wf.Content("implemented", "a", "", [{"label_en": "n", "value": "1,234"}], [{"url": "https://a.example/x"}])
    assert wf.check_content(ok, {"implemented"}) == [] and wf.ready_to_submit(ok) == []
    assert [p.field for p in wf.ready_to_submit(wf.Content(None, " ", "", [], []))] == ["status", "narrative"]


def test_cells_round_trip() -> None:
    figs = [{"label_en": "Cases", "label_ja": "件数", "value": "3035", "unit": "cases", "period": "2022"}]
    assert wf.parse_figures(wf.format_figures(figs)) == figs
    ev = [{"url": "https://www.npa.go.jp/x", "title": "警察庁 資料"}, {"url": "https://b.example/", "title": ""}]
    assert wf.parse_evidence(wf.format_evidence(ev)) == ev
    with pytest.raises(ValueError, match="5 parts"):
        wf.parse_figures("a | b")


def test_diff_names_changed_fields_only() -> None:
    a = {"state": "draft", "status": "in_progress", "narrative_ja": "一行目\n二行目", "figures": [], "evidence": []}
    b = {**a, "state": "submitted", "narrative_ja": "一行目\n二行目を直した"}
    changes = wf.diff_snapshots(a, b)
    assert [c.field for c in changes] == ["state", "narrative_ja"]
    assert "+二行目を直した" in changes[1].lines and "-二行目" in changes[1].lines
    assert not any(line.startswith("@@") for c in changes for line in c.lines)  # no "@@ -1 +1 @@" for people
    far = {**a, "narrative_ja": "\n".join(f"行{i}" for i in range(10))}
    apart = {**far, "narrative_ja": far["narrative_ja"].replace("行1", "行一").replace("行8", "行八")}
    (text,) = [c for c in wf.diff_snapshots(far, apart) if c.field == "narrative_ja"]
    assert text.lines.count("…") == 1 and text.lines[0] != "…"  # two places apart: one gap between them
