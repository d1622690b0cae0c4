"""SVG charts drawn by mamoru itself (no chart library, no CDN): status bars, indicator trends and the
tile map of the 47 prefectures. Pure functions from numbers to SVG text, used by pages and reports.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape

FONT = "Noto Sans CJK JP, Noto Sans JP, sans-serif"


def _svg(width: int, height: int, body: list[str], title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
            f'height="{height}" role="img" aria-label="{escape(title)}" font-family="{FONT}" class="fu-chart">'
            f"<title>{escape(title)}</title>{''.join(body)}</svg>")


_NO_LINE_START = set("、。，．）」』】・ー")


def text_width(text: str, font_px: float) -> float:
    """Estimated width of `text` in pixels: full-width (CJK) characters one em, others about half."""
    return sum(font_px if ord(ch) > 0x2E80 else font_px * 0.55 for ch in text)


def wrap(label: str, max_px: float, font_px: float) -> list[str]:
    """`label` broken into lines no wider than `max_px`, never cut: Latin text at spaces, Japanese between
    any two characters except before closing punctuation (、。）); a word wider than a line is left whole."""
    lines: list[str] = []
    line = ""
    tokens = _tokens(label)
    for tok in tokens:
        candidate = (line + tok) if line else tok.lstrip()
        if line and text_width(candidate.rstrip(), font_px) > max_px and tok[:1] not in _NO_LINE_START:
            lines.append(line.rstrip())
            line = tok.lstrip()
        else:
            line = candidate
    if line.strip():
        lines.append(line.rstrip())
    return lines or [""]


def _tokens(label: str) -> list[str]:
    """Latin words (with the space before them) and single full-width characters."""
    out: list[str] = []
    for ch in label:
        if ord(ch) > 0x2E80:
            out.append(ch)
        elif out and (ch != " " and ord(out[-1][-1]) <= 0x2E80):
            out[-1] += ch
        else:
            out.append(ch)
    return out


def stacked_bars(title: str, rows: Sequence[tuple[str, dict[str, int]]],
                 legend: Sequence[tuple[str, str, str]], width: int = 640) -> str:
    """Horizontal stacked bars: rows of (label, {key: count}) with the full label wrapped on the left;
    legend of (key, label, colour)."""
    bar_h, gap, left, top, font, line_h = 18, 10, 230, 28, 11, 13
    wrapped = [wrap(label, left - 12, font) for label, _ in rows]
    heights = [max(bar_h, len(lines) * line_h + 4) for lines in wrapped]
    body = [f'<text x="0" y="16" font-size="13" font-weight="bold">{escape(title)}</text>']
    span = width - left - 40
    y = top
    for (_label, counts), lines, h in zip(rows, wrapped, heights, strict=True):
        total = sum(counts.values()) or 1
        ty = y + (h - len(lines) * line_h) / 2 + 10
        tspans = "".join(f'<tspan x="{left - 6}" y="{ty + i * line_h:.1f}">{escape(t)}</tspan>'
                         for i, t in enumerate(lines))
        body.append(f'<text font-size="{font}" text-anchor="end" class="bar-label">{tspans}</text>')
        x, by = float(left), y + (h - bar_h) / 2
        for key, _lab, colour in legend:
            w = span * counts.get(key, 0) / total
            if w > 0:
                body.append(f'<rect x="{x:.1f}" y="{by:.1f}" width="{w:.1f}" height="{bar_h}" fill="{colour}"/>')
                x += w
        body.append(f'<text x="{width - 34}" y="{by + 13:.1f}" font-size="11">{sum(counts.values())}</text>')
        y += h + gap
    body += _legend(legend, y + 12, width)
    rows_of_legend = _legend_rows(legend, width)
    return _svg(width, y + 12 + 16 * rows_of_legend + 8, body, title)


def _legend_positions(legend: Sequence[tuple[str, str, str]], width: int) -> list[tuple[float, int]]:
    """(x, row) of each legend item, wrapping to a new row at the chart's width."""
    out: list[tuple[float, int]] = []
    x, row = 0.0, 0
    for _key, lab, _colour in legend:
        w = 16 + text_width(lab, 10) + 12
        if x and x + w > width:
            x, row = 0.0, row + 1
        out.append((x, row))
        x += w
    return out


def _legend_rows(legend: Sequence[tuple[str, str, str]], width: int) -> int:
    positions = _legend_positions(legend, width)
    return (positions[-1][1] + 1) if positions else 0


def _legend(legend: Sequence[tuple[str, str, str]], ly: float, width: int) -> list[str]:
    out = []
    for (_key, lab, colour), (x, row) in zip(legend, _legend_positions(legend, width), strict=True):
        y = ly + 16 * row
        out.append(f'<rect x="{x:.0f}" y="{y - 9:.0f}" width="10" height="10" fill="{colour}"/>'
                   f'<text x="{x + 14:.0f}" y="{y:.0f}" font-size="10">{escape(lab)}</text>')
    return out


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(FY)?(\d{4})$")


def period_time(period: str) -> float | None:
    """Where a period sits on a time axis, in years: "2022" 2022.0, "2011-07" 2011.5, "FY2023" 2023.25
    (a Japanese fiscal year starts in April); None for a period of another form."""
    p = period.strip()
    if m := _MONTH.match(p):
        return int(m[1]) + (int(m[2]) - 1) / 12
    if m := _YEAR.match(p):
        return int(m[2]) + (0.25 if m[1] else 0.0)
    return None


def time_positions(periods: Sequence[str]) -> list[float]:
    """Each period's place from 0 to 1 along the x axis: by its time when every period has one (years
    spaced by their gaps), else evenly in the given order."""
    times = [period_time(p) for p in periods]
    if len(periods) == 1:
        return [0.5]
    known = [t for t in times if t is not None]
    if len(known) == len(times) and max(known) > min(known):
        lo, hi = min(known), max(known)
        return [(t - lo) / (hi - lo) for t in known]
    return [i / (len(periods) - 1) for i in range(len(periods))]


def line_chart(title: str, points: Sequence[tuple[str, float]], unit: str = "", width: int = 480,
               height: int = 200, target: float | None = None) -> str:
    """A line with dots and labelled ends; periods on a true time axis (see `time_positions`)."""
    left, right, top, bottom = 48, 16, 26, 30
    body = [f'<text x="0" y="15" font-size="12" font-weight="bold">{escape(title)}</text>']
    if not points:
        body.append(f'<text x="{left}" y="{height // 2}" font-size="11">—</text>')
        return _svg(width, height, body, title)
    values = [v for _, v in points] + ([target] if target is not None else [])
    lo, hi = min(0.0, min(values)), max(values) or 1.0
    pw, ph = width - left - right, height - top - bottom
    positions = time_positions([p for p, _ in points])

    def y_of(v: float) -> float:
        return top + ph - ph * (v - lo) / (hi - lo or 1)

    body.append(f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" stroke="#999"/>')
    body.append(f'<text x="{left - 4}" y="{top + 8}" font-size="9" text-anchor="end">{hi:,.0f}</text>')
    body.append(f'<text x="{left - 4}" y="{top + ph}" font-size="9" text-anchor="end">{lo:,.0f}</text>')
    if target is not None:
        ty = y_of(target)
        body.append(f'<line x1="{left}" y1="{ty:.1f}" x2="{left + pw}" y2="{ty:.1f}" stroke="#2f8f4e" stroke-dasharray="4 3"/>')
    coords = [(left + pw * pos, y_of(v)) for pos, (_, v) in zip(positions, points, strict=True)]
    body.append('<polyline fill="none" stroke="#1f5fa8" stroke-width="2" points="'
                + " ".join(f"{x:.1f},{y:.1f}" for x, y in coords) + '"/>')
    shown = _tick_labels([p for p, _ in points], [x for x, _ in coords])
    for i, ((period, v), (x, y)) in enumerate(zip(points, coords, strict=True)):
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#1f5fa8"><title>{escape(period)}: {v:,g} {escape(unit)}</title></circle>')
        if i in shown:
            body.append(f'<text x="{x:.1f}" y="{height - 12}" font-size="9" text-anchor="middle" class="tick">{escape(period)}</text>')
    last_x, last_y = coords[-1]
    body.append(f'<text x="{min(last_x, width - 40):.1f}" y="{last_y - 6:.1f}" font-size="10">{points[-1][1]:,g}</text>')
    return _svg(width, height, body, title)


def _tick_labels(periods: Sequence[str], xs: Sequence[float]) -> set[int]:
    """The points whose period is written under the axis: the last always, others when they do not
    overlap the label kept after them."""
    shown = {len(xs) - 1}
    edge = xs[-1] - text_width(periods[-1], 9) / 2
    for i in range(len(xs) - 2, -1, -1):
        half = text_width(periods[i], 9) / 2 + 3
        if xs[i] + half <= edge:
            shown.add(i)
            edge = xs[i] - half
    return shown


def tile_map(title: str, tiles: Sequence[tuple[str, str, int, int]], fills: dict[str, str],
             default_fill: str = "#e8ebf0", size: int = 34) -> str:
    """The 47 prefectures as squares on a grid: tiles of (code, label, column, row); fills by code."""
    cols = max(t[2] for t in tiles) + 1
    rows = max(t[3] for t in tiles) + 1
    width, height = cols * size + 4, rows * size + 24
    body = [f'<text x="0" y="14" font-size="12" font-weight="bold">{escape(title)}</text>']
    for code, label, col, row in tiles:
        x, y = col * size + 2, row * size + 20
        body.append(f'<g data-pref="{code}"><rect x="{x}" y="{y}" width="{size - 2}" height="{size - 2}" '
                    f'fill="{fills.get(code, default_fill)}" stroke="#fff" stroke-width="2"><title>{escape(label)}</title></rect>'
                    f'<text x="{x + (size - 2) / 2:.0f}" y="{y + size / 2 + 3:.0f}" font-size="9" '
                    f'text-anchor="middle">{escape(label[:3])}</text></g>')
    return _svg(width, height, body, title)


def time_chart(title: str, points: Sequence[tuple[float, str, float, bool]], unit: str = "", width: int = 640,
               height: int = 240, target: float | None = None, target_label: str = "",
               provisional_label: str = "") -> str:
    """A line on a true time axis: points of (x in years, period label, value, provisional), so the gap
    between 2007 and 2011 is four times that between 2011 and 2012. Year ticks below; the target as a
    dashed line with its label; provisional values as hollow dots."""
    left, right, top, bottom = 56, 20, 26, 34
    body = [f'<text x="0" y="15" font-size="12" font-weight="bold">{escape(title)}</text>']
    if not points:
        body.append(f'<text x="{left}" y="{height // 2}" font-size="11">—</text>')
        return _svg(width, height, body, title)
    pts = sorted(points)
    values = [v for _, _, v, _ in pts] + ([target] if target is not None else [])
    lo, hi = min(0.0, min(values)), max(values) or 1.0
    x0, x1 = int(pts[0][0]), int(pts[-1][0]) + 1
    pw, ph = width - left - right, height - top - bottom

    def sx(x: float) -> float:
        return left + pw * (x - x0) / (x1 - x0)

    def sy(v: float) -> float:
        return top + ph - ph * (v - lo) / (hi - lo or 1)

    body.append(f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" stroke="#999"/>')
    body.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + ph}" stroke="#ccc"/>')
    body.append(f'<text x="{left - 4}" y="{top + 8}" font-size="9" text-anchor="end">{hi:,.0f}</text>')
    body.append(f'<text x="{left - 4}" y="{top + ph}" font-size="9" text-anchor="end">{lo:,.0f}</text>')
    span = x1 - x0
    step = 1 if span <= 12 else 2 if span <= 24 else 5
    for year in range(x0, x1 + 1):
        if year % step == 0 or year == x0:
            x = sx(year)
            body.append(f'<line x1="{x:.1f}" y1="{top + ph}" x2="{x:.1f}" y2="{top + ph + 4}" stroke="#999"/>'
                        f'<text x="{x:.1f}" y="{top + ph + 16}" font-size="9" text-anchor="middle" '
                        f'class="tick">{year}</text>')
    if target is not None:
        ty = sy(target)
        body.append(f'<line x1="{left}" y1="{ty:.1f}" x2="{left + pw}" y2="{ty:.1f}" stroke="#2f8f4e" '
                    f'stroke-dasharray="4 3" class="target"/>'
                    f'<text x="{left + pw}" y="{ty - 4:.1f}" font-size="9" text-anchor="end" fill="#2f8f4e">'
                    f'{escape(target_label)} {target:,g}</text>')
    coords = [(sx(x), sy(v)) for x, _, v, _ in pts]
    if len(coords) > 1:
        body.append('<polyline fill="none" stroke="#1f5fa8" stroke-width="2" points="'
                    + " ".join(f"{x:.1f},{y:.1f}" for x, y in coords) + '"/>')
    for (_, period, v, provisional), (x, y) in zip(pts, coords, strict=True):
        fill = "#fff" if provisional else "#1f5fa8"
        note = f" ({provisional_label})" if provisional and provisional_label else ""
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{fill}" stroke="#1f5fa8" data-period="{escape(period)}">'
                    f'<title>{escape(period)}: {v:,g} {escape(unit)}{escape(note)}</title></circle>')
    last_x, last_y = coords[-1]
    body.append(f'<text x="{min(last_x, width - 40):.1f}" y="{last_y - 7:.1f}" font-size="10">{pts[-1][2]:,g}</text>')
    return _svg(width, height, body, title)
