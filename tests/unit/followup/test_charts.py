"""The report's charts: full pillar labels wrapped (never cut), periods on a true time axis."""

from __future__ import annotations

import random
import re

from mamoru.followup import charts

PILLARS = ["1. 子供の性被害の防止に向けた社会全体の意識の向上", "2. 子供の性被害の防止に向けた教育・啓発の推進",
           "3. 子供の性被害の防止に向けたインターネット上の対策の推進",
           "4. Strengthening the investigation and prosecution of offences against children"]


def test_wrapped_labels_keep_every_character_and_fit() -> None:
    rng = random.Random(14)
    for _ in range(200):
        label = "".join(rng.choice("子供の性被害 防止abc Defgh、。") for _ in range(rng.randint(1, 60)))
        lines = charts.wrap(label, 120, 11)
        assert "".join(lines).replace(" ", "") == label.replace(" ", "")
        # a line may overflow only by the closing punctuation kept with the character before it
        assert all(charts.text_width(line.rstrip("、。 "), 11) <= 120 for line in lines), lines
        assert not any(line[:1] in "、。" for line in lines[1:])


def test_the_status_chart_writes_the_full_pillar_labels() -> None:
    svg = charts.stacked_bars("状況", [(p, {"done": i + 1}) for i, p in enumerate(PILLARS)], [("done", "済", "#000")])
    labels = ["".join(re.findall(r"<tspan[^>]*>([^<]*)</tspan>", t))
              for t in re.findall(r'<text[^>]*class="bar-label">(.*?)</text>', svg)]
    assert [x.replace(" ", "") for x in labels] == [p.replace(" ", "") for p in PILLARS]
    assert "…" not in svg and len(set(labels)) == 4  # three Japanese pillars no longer read the same


def _xs(svg: str) -> list[float]:
    return [float(x) for x in re.findall(r'<circle cx="([\d.]+)"', svg)]


def test_years_are_spaced_by_their_gaps() -> None:
    xs = _xs(charts.line_chart("t", [("2010", 1), ("2011", 2), ("2012", 3), ("2020", 4)]))
    assert abs((xs[1] - xs[0]) - (xs[2] - xs[1])) < 0.2
    assert abs((xs[3] - xs[2]) - 8 * (xs[1] - xs[0])) < 0.5
    months = _xs(charts.line_chart("t", [("2011-01", 1), ("2011-07", 2), ("2012-01", 3)]))
    assert abs((months[1] - months[0]) - (months[2] - months[1])) < 0.2
    assert charts.period_time("FY2023") == 2023.25 and charts.period_time("2011-07") == 2011.5
    assert charts.period_time("banana") is None
    odd = _xs(charts.line_chart("t", [("a", 1), ("b", 2), ("zz", 3)]))  # no time: evenly, in order
    assert abs((odd[1] - odd[0]) - (odd[2] - odd[1])) < 0.2


def test_crowded_period_labels_do_not_overlap_and_the_last_is_written() -> None:
    pts = [(str(y), float(y)) for y in range(1990, 2025)]
    svg = charts.line_chart("t", pts)
    ticks = re.findall(r'<text x="([\d.]+)"[^>]*class="tick">(\d+)</text>', svg)
    assert ticks[-1][1] == "2024" and len(ticks) < len(pts)
    xs = [float(x) for x, _ in ticks]
    assert all(b - a >= charts.text_width("2024", 9) for a, b in zip(xs, xs[1:], strict=False))
