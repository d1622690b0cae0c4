"""The shipped plan data file against the English outline it encodes.

The outline (tests/data/seed/basic-plan-outline.txt) is parsed here on its own terms: pillar
headings, "Background" bullets, "Main Measures" bullets with their agency lists in brackets (some
wrap to the next line). The data file must hold the same pillars, background points and main
measures, in the same order, with the same agencies in the same order; every reference in it
must resolve. `outline_differences` is also run on altered copies of the data, so the comparison
is shown to catch a changed title, a dropped agency or a reordered list.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
import yaml
from tests.conftest import DATA

from mamoru.plan import models
from mamoru.plan.loader import DATA_FORMAT, read_data, shipped_data_path

OUTLINE = DATA / "seed" / "basic-plan-outline.txt"
AGENCY_LIST = re.compile(r"^(?P<title>.*\S)\s*\((?P<codes>[A-Z]+(?:, [A-Z]+)*)\)$")
PILLAR_HEADING = re.compile(r"^(?P<number>[1-6])\. (?P<title>.+)$")


@dataclass
class OutlinePillar:
    number: int
    title: str
    background: list[str] = field(default_factory=list)
    measures: list[tuple[str, list[str]]] = field(default_factory=list)


@dataclass
class Outline:
    situation: list[str]
    summary_pillars: list[str]  # the six pillars as section 4 lists them
    pillars: list[OutlinePillar]


def _norm(text: str) -> str:
    return " ".join(text.split())


def _bullets(lines: list[str]) -> list[str]:
    """Bullets ("- ..."), each joined with the lines that continue it, whitespace normalised."""
    items: list[list[str]] = []
    open_item = False
    for line in lines:
        if line.startswith("- "):
            items.append([line[2:]])
            open_item = True
        elif line and open_item:
            items[-1].append(line)
        else:
            open_item = False
    return [_norm(" ".join(i)) for i in items]


def _section(lines: list[str], start: str, end: str | None) -> list[str]:
    i = lines.index(start) + 1
    j = lines.index(end, i) if end is not None else len(lines)
    return lines[i:j]


def parse_outline(text: str) -> Outline:
    lines = [_norm(line) for line in text.splitlines()]
    situation = _bullets(_section(lines, "2. Situation surrounding child sexual exploitation",
                                  "3. Development of the Basic Plan"))
    head = "Outline of the Basic Plan on Measures against Child Sexual Exploitation"
    summary = [m.group("title") for line in _section(lines, "88 measures contained under six pillars", head)
               if (m := PILLAR_HEADING.match(line))]
    body = _section(lines, head, None)
    starts = [i for i, line in enumerate(body) if PILLAR_HEADING.match(line)]
    pillars = []
    for k, i in enumerate(starts):
        block = body[i + 1: starts[k + 1] if k + 1 < len(starts) else len(body)]
        m = PILLAR_HEADING.match(body[i])
        assert m is not None
        pillar = OutlinePillar(int(m.group("number")), m.group("title"))
        main = block.index("Main Measures")
        if "Background" in block:
            pillar.background = _bullets(block[block.index("Background") + 1: main])
        for item in _bullets(block[main + 1:]):
            found = AGENCY_LIST.match(item)
            assert found, f"main measure without an agency list: {item!r}"
            pillar.measures.append((found.group("title"), found.group("codes").split(", ")))
        pillars.append(pillar)
    return Outline(situation, summary, pillars)


def outline_differences(outline: Outline, data: dict[str, Any]) -> list[str]:
    """Everything in which the data's 2017 plan departs from the outline (empty when faithful)."""
    plan = next(p for p in data["plans"] if p["key"] == "basic-plan-2017")
    problems: list[str] = []
    if [s["en"] for s in plan["situation"]] != outline.situation:
        problems.append("situation points differ")
    got = plan["pillars"]
    if [(p["number"], p["title_en"]) for p in got] != [(p.number, p.title) for p in outline.pillars]:
        problems.append("pillar numbers or titles differ")
    for want, have in zip(outline.pillars, got, strict=False):  # a count mismatch is reported above
        if [b["en"] for b in have["background"]] != want.background:
            problems.append(f"pillar {want.number}: background points differ")
        measures = [(m["title_en"], list(m["agencies"])) for m in have["measures"]]
        for n in range(max(len(measures), len(want.measures))):
            w = want.measures[n] if n < len(want.measures) else None
            h = measures[n] if n < len(measures) else None
            if w != h:
                problems.append(f"pillar {want.number}, main measure {n + 1}: outline {w!r}, data {h!r}")
    return problems


@pytest.fixture(scope="module")
def outline() -> Outline:
    return parse_outline(OUTLINE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    return read_data()


@pytest.fixture(scope="module")
def plan(data: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = next(p for p in data["plans"] if p["key"] == "basic-plan-2017")
    return found


def test_outline_parser_finds_what_the_outline_holds(outline: Outline) -> None:
    assert [p.number for p in outline.pillars] == [1, 2, 3, 4, 5, 6]
    assert [len(p.background) for p in outline.pillars] == [3, 2, 3, 3, 3, 0]
    assert [len(p.measures) for p in outline.pillars] == [4] * 6
    assert outline.summary_pillars == [p.title for p in outline.pillars]
    assert len(outline.situation) == 4
    wrapped = outline.pillars[3].measures[0]
    assert wrapped == ("Creation of a comfortable environment for children and their parents/guardians "
                       "for consultations", ["NPA", "MOJ"])


def test_shipped_file_is_where_the_loader_looks(data: dict[str, Any]) -> None:
    assert shipped_data_path().is_file()
    assert data["format"] == DATA_FORMAT
    assert isinstance(data["data_version"], str) and data["data_version"]
    assert data["translation_note_en"] and data["translation_note_ja"]


def test_data_matches_the_outline(outline: Outline, data: dict[str, Any]) -> None:
    assert outline_differences(outline, data) == []


@pytest.mark.parametrize("alter", ["retitle-pillar", "retitle-measure", "drop-agency", "swap-agencies",
                                   "drop-measure", "drop-background", "fix-spelling"])
def test_comparison_catches_an_altered_copy(outline: Outline, data: dict[str, Any], alter: str) -> None:
    bad = copy.deepcopy(data)
    pillars = next(p for p in bad["plans"] if p["key"] == "basic-plan-2017")["pillars"]
    if alter == "retitle-pillar":
        pillars[4]["title_en"] = pillars[4]["title_en"].replace("crackdowns", "crack-downs")
    elif alter == "retitle-measure":
        pillars[2]["measures"][2]["title_en"] += "."
    elif alter == "drop-agency":
        pillars[4]["measures"][1]["agencies"].remove("MHLW")
    elif alter == "swap-agencies":
        agencies = pillars[0]["measures"][3]["agencies"]
        agencies[0], agencies[1] = agencies[1], agencies[0]
    elif alter == "drop-measure":
        del pillars[5]["measures"][3]
    elif alter == "drop-background":
        del pillars[1]["background"][1]
    else:
        pillars[2]["background"][0]["en"] = pillars[2]["background"][0]["en"].replace("intermedate", "intermediate")
    assert outline_differences(outline, bad)


def test_twenty_four_main_measures_with_provisional_codes_and_stable_ids(plan: dict[str, Any]) -> None:
    measures = [(p["number"], n, m) for p in plan["pillars"] for n, m in enumerate(p["measures"], start=1)]
    assert len(measures) == 24 and all(m["main"] is True for _, _, m in measures)
    assert plan["measures_total"] == 88
    for number, n, m in measures:
        assert m["code"] == f"{number}-{n}"
        assert m["id"] == f"bp17-{number}-{n:02d}"
        assert m["origin"] == "unknown", "the outline does not say which measures came from where"
        assert m["title_ja"] and m["ja_provisional"] is True
    assert len({m["id"] for _, _, m in measures}) == 24


def test_pillars_and_situation_carry_japanese(plan: dict[str, Any]) -> None:
    assert plan["pillars"][5]["background"] == []
    for p in plan["pillars"]:
        assert p["title_ja"] and p["ja_provisional"] is True
        for b in p["background"]:
            assert b["ja"] and b["ja_provisional"] is True
    assert all(s["ja"] and s["ja_provisional"] is True for s in plan["situation"])


def test_agencies_are_unique_named_and_every_used_code_is_defined(data: dict[str, Any]) -> None:
    codes = [a["code"] for a in data["agencies"]]
    assert len(codes) == len(set(codes))
    assert {"NPSC", "NPA", "CAS", "CAO", "MIC", "MOJ", "MOFA", "MEXT", "MHLW", "METI", "CFA", "JTA"} <= set(codes)
    assert all(a["name_en"] and a["name_ja"] for a in data["agencies"])
    by_code = {a["code"]: a for a in data["agencies"]}
    assert by_code["NPA"]["parent"] == "NPSC" and by_code["NPA"]["name_ja"] == "警察庁"
    assert by_code["CFA"]["valid_from"] == date(2023, 4, 1)
    used = {a["parent"] for a in data["agencies"] if a.get("parent")}
    used |= {p["coordinator"] for p in data["plans"]}
    used |= {s[k] for s in data["successions"] for k in ("predecessor", "successor")}
    used |= {c for p in data["plans"] for pl in p["pillars"] for m in pl["measures"] for c in m["agencies"]}
    assert used <= set(codes), used - set(codes)


def test_every_reference_resolves(data: dict[str, Any]) -> None:
    successions = {s["key"]: s for s in data["successions"]}
    bodies = {b["key"] for b in data["bodies"]}
    plans = {p["key"]: p for p in data["plans"]}
    assert len(successions) == len(data["successions"]) and len(bodies) == len(data["bodies"])
    assert len(plans) == len(data["plans"])
    for p in data["plans"]:
        assert p["decided_by"] in bodies and p["status"] in models.PLAN_STATUSES
        assert all(o.get("decided_by") in bodies | {None} for o in p.get("origins") or [])
        assert {o["key"] for o in p.get("origins") or []} <= set(models.ORIGINS)
        for pillar in p["pillars"]:
            for m in pillar["measures"]:
                assert m["origin"] in models.ORIGINS
                for code, key in (m.get("successions") or {}).items():
                    assert code in m["agencies"], (m["id"], code)
                    assert successions[key]["predecessor"] == code, (m["id"], key)
    assert plans[plans["basic-plan-2017"]["superseded_by"]]["supersedes"] == "basic-plan-2017"
    assert plans["basic-plan-2022"]["status"] == "in_force" and plans["basic-plan-2022"]["pillars"] == []
    assert all(e.get("body") in bodies | {None} for e in data["timeline"])


def test_child_related_mhlw_assignments_roll_up_to_the_cfa(plan: dict[str, Any]) -> None:
    moved = {m["code"] for p in plan["pillars"] for m in p["measures"]
             if (m.get("successions") or {}).get("MHLW") == "mhlw-children-to-cfa-2023"}
    assert {"2-4", "4-3", "6-4"} <= moved


def test_definitions_form_a_taxonomy(data: dict[str, Any]) -> None:
    seen: set[str] = set()
    for term in data["definitions"]:
        assert term["code"] not in seen
        assert term.get("parent") is None or term["parent"] in seen, "a parent comes before its children"
        assert term["title_en"] and term["title_ja"] and term["description_en"] and term["description_ja"]
        seen.add(term["code"])
    assert {"child-prostitution", "child-pornography-production", "business-children-sexual-objects",
            "encouraging"} <= seen


def test_forty_seven_prefectures_in_jis_order(data: dict[str, Any]) -> None:
    prefectures = data["prefectures"]
    assert [p["code"] for p in prefectures] == [f"{n:02d}" for n in range(1, 48)]
    assert len({p["name_ja"] for p in prefectures}) == 47 and len({p["name_en"] for p in prefectures}) == 47
    by_code = {p["code"]: p["name_ja"] for p in prefectures}
    assert (by_code["01"], by_code["13"], by_code["26"], by_code["27"], by_code["47"]) == (
        "北海道", "東京都", "京都府", "大阪府", "沖縄県")
    assert all(p["region_en"] and p["region_ja"] for p in prefectures)


def test_timeline_is_dated_ordered_and_keyed(data: dict[str, Any]) -> None:
    events = data["timeline"]
    assert [e["date"] for e in events] == sorted(e["date"] for e in events)
    assert len({e["key"] for e in events}) == len(events)
    for e in events:
        assert isinstance(e["date"], date) and isinstance(e["key"], str)
        assert e["precision"] in ("day", "month", "year")
        assert e["kind"] in ("cabinet-decision", "meeting", "decision", "reorganisation", "report")
        assert e["title_en"] and e["title_ja"]
    decided = [e for e in events if e["date"] == date(2017, 4, 18)]
    assert decided and decided[0]["body"] == "ministerial-meeting-crime"


def test_values_fit_the_database_columns(data: dict[str, Any]) -> None:
    def fits(model: type, column: str, values: list[Any]) -> None:
        limit = model.__table__.c[column].type.length  # type: ignore[attr-defined]
        too_long = [v for v in values if v is not None and len(str(v)) > limit]
        assert not too_long, (model.__name__, column, too_long)

    measures = [m for p in data["plans"] for pl in p["pillars"] for m in pl["measures"]]
    fits(models.Agency, "code", [a["code"] for a in data["agencies"]])
    fits(models.Agency, "name_en", [a["name_en"] for a in data["agencies"]])
    fits(models.AgencySuccession, "key", [s["key"] for s in data["successions"]])
    fits(models.Body, "name_en", [b["name_en"] for b in data["bodies"]])
    fits(models.Plan, "title_en", [p["title_en"] for p in data["plans"]])
    fits(models.Measure, "uid", [m["id"] for m in measures])
    fits(models.Measure, "code", [m["code"] for m in measures])
    fits(models.DefinitionTerm, "code", [d["code"] for d in data["definitions"]])
    fits(models.TimelineEvent, "key", [e["key"] for e in data["timeline"]])
    fits(models.TimelineEvent, "kind", [e["kind"] for e in data["timeline"]])


def test_file_is_plain_yaml_with_no_aliases() -> None:
    """Anchors and aliases would let one edit silently change two measures."""
    events = yaml.parse(shipped_data_path().read_text(encoding="utf-8"))
    assert not any(isinstance(e, yaml.AliasEvent) for e in events)
