"""SVG charts drawn by mamoru itself (no chart library, no CDN): status bars, indicator trends and the
tile map of the 47 prefectures. Pure functions from numbers to SVG text, used by pages and reports.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

FONT = "Noto Sans CJK JP, Noto Sans JP, sans-serif"


def _svg(width: int, height: int, body: list[str], title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
            f'height="{height}" role="img" aria-label="{escape(title)}" font-family="{FONT}" class="fu-chart">'
            f"<title>{escape(title)}</title>{''.join(body)}</svg>")


def _short(label: str, n: int) -> str:
    return label if len(label) <= n else label[: n - 1] + "…"


def stacked_bars(title: str, rows: Sequence[tuple[str, dict[str, int]]],
                 legend: Sequence[tuple[str, str, str]], width: int = 640) -> str:
    """Horizontal stacked bars: rows of (label, {key: count}); legend of (key, label, colour)."""
    bar_h, gap, left, top = 18, 8, 150, 28
    height = top + len(rows) * (bar_h + gap) + 30
    body = [f'<text x="0" y="16" font-size="13" font-weight="bold">{escape(title)}</text>']
    span = width - left - 40
    for i, (label, counts) in enumerate(rows):
        y = top + i * (bar_h + gap)
        total = sum(counts.values()) or 1
        body.append(f'<text x="{left - 6}" y="{y + 13}" font-size="11" text-anchor="end">{escape(_short(label, 12))}</text>')
        x = float(left)
        for key, _lab, colour in legend:
            w = span * counts.get(key, 0) / total
            if w > 0:
                body.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colour}"/>')
                x += w
        body.append(f'<text x="{width - 34}" y="{y + 13}" font-size="11">{sum(counts.values())}</text>')
    ly = top + len(rows) * (bar_h + gap) + 12
    x = 0
    for _key, lab, colour in legend:
        body.append(f'<rect x="{x}" y="{ly - 9}" width="10" height="10" fill="{colour}"/>'
                    f'<text x="{x + 14}" y="{ly}" font-size="10">{escape(lab)}</text>')
        x += 16 + sum(11 if ord(ch) > 0x2E80 else 6 for ch in lab) + 12
    return _svg(width, height, body, title)


def line_chart(title: str, points: Sequence[tuple[str, float]], unit: str = "", width: int = 480,
               height: int = 200, target: float | None = None) -> str:
    """A line with dots and labelled ends; periods on the x axis in the given order."""
    left, right, top, bottom = 48, 16, 26, 30
    body = [f'<text x="0" y="15" font-size="12" font-weight="bold">{escape(title)}</text>']
    if not points:
        body.append(f'<text x="{left}" y="{height // 2}" font-size="11">—</text>')
        return _svg(width, height, body, title)
    values = [v for _, v in points] + ([target] if target is not None else [])
    lo, hi = min(0.0, min(values)), max(values) or 1.0
    pw, ph = width - left - right, height - top - bottom

    def xy(i: int, v: float) -> tuple[float, float]:
        x = left + (pw * i / (len(points) - 1) if len(points) > 1 else pw / 2)
        return x, top + ph - ph * (v - lo) / (hi - lo or 1)

    body.append(f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" stroke="#999"/>')
    body.append(f'<text x="{left - 4}" y="{top + 8}" font-size="9" text-anchor="end">{hi:,.0f}</text>')
    body.append(f'<text x="{left - 4}" y="{top + ph}" font-size="9" text-anchor="end">{lo:,.0f}</text>')
    if target is not None:
        _, ty = xy(0, target)
        body.append(f'<line x1="{left}" y1="{ty:.1f}" x2="{left + pw}" y2="{ty:.1f}" stroke="#2f8f4e" stroke-dasharray="4 3"/>')
    coords = [xy(i, v) for i, (_, v) in enumerate(points)]
    body.append('<polyline fill="none" stroke="#1f5fa8" stroke-width="2" points="'
                + " ".join(f"{x:.1f},{y:.1f}" for x, y in coords) + '"/>')
    step = max(1, len(points) // 8)
    for i, ((period, v), (x, y)) in enumerate(zip(points, coords, strict=True)):
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#1f5fa8"><title>{escape(period)}: {v:,g} {escape(unit)}</title></circle>')
        if i % step == 0 or i == len(points) - 1:
            body.append(f'<text x="{x:.1f}" y="{height - 12}" font-size="9" text-anchor="middle">{escape(period)}</text>')
    last_x, last_y = coords[-1]
    body.append(f'<text x="{min(last_x, width - 40):.1f}" y="{last_y - 6:.1f}" font-size="10">{points[-1][1]:,g}</text>')
    return _svg(width, height, body, title)


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
