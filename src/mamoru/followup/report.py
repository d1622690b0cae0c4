"""The follow-up report of a round, in Japanese or English, as HTML, PDF (WeasyPrint) or Markdown.

Per pillar, each measure with its agencies, status and narrative; summary tables; SVG charts
(status by pillar, indicator trends) and prefecture maps. Any round can be rendered: a round not yet
published is marked as a draft on every page and shows every entry's latest saved content with its
state (the plan office's preview). A published round's report is the official one, wherever it is
made (the portal, the round page, `mamoru report followup`): accepted entries only, counted by
`status_counts` as on the portal's pages; `public=True` asks for that view of any round.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from mamoru import documents, periods
from mamoru.followup import charts, prefectures
from mamoru.followup import errata as errata_svc
from mamoru.followup.entries import ENTRY_LOAD
from mamoru.followup.indicators import NO_LIVE_PROVIDERS, LiveProviders, indicators, series
from mamoru.followup.models import Decision, EntryStatus, Meeting, ReportingRound, RoundEntry, RoundErratum
from mamoru.followup.rounds import ensure_statuses, round_coverage, round_label
from mamoru.i18n import fmt_date, fmt_time_jst, gettext, join_list, pick
from mamoru.plan.models import Agency, Measure, MeasureAssignment, Pillar, Plan

TEMPLATES = Path(__file__).parent / "templates"
FORMATS = ("html", "pdf", "md")
HEADLINE = ("cp-victims", "sns-victims", "cp-cases-cleared", "measures-implemented-share")


@dataclass
class MeasureBlock:
    measure: Measure
    entries: list[RoundEntry] = field(default_factory=list)


@dataclass
class PillarBlock:
    pillar: Pillar
    measures: list[MeasureBlock] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class IndicatorChart:
    """A headline indicator's trend: the points drawn and the SVG line chart."""
    indicator: Any
    points: list[tuple[str, float]]
    svg: str


@dataclass
class PrefectureMap:
    """A measure's per-prefecture status: the 47 rows, the SVG tile map and the count per status."""
    measure: Measure
    rows: list[prefectures.Row]
    svg: str
    counts: dict[str, int]


@dataclass
class ReportData:
    round: ReportingRound
    plan: Plan
    lang: str
    draft: bool
    public: bool
    label: str
    pillars: list[PillarBlock]
    statuses: list[EntryStatus]
    status_chart: str
    indicator_charts: list[IndicatorChart]
    maps: list[PrefectureMap]
    generated_on: date
    front: FrontMatter = field(default_factory=lambda: FrontMatter(None, None, None, 0, 0, 0, 0))
    errata: list[RoundErratum] = field(default_factory=list)

    @property
    def errata_by_entry(self) -> dict[int, list[RoundErratum]]:
        return errata_svc.by_entry(self.errata)


@dataclass
class FrontMatter:
    """The report's first page: who approved it (the meeting's decision) and when, who publishes it,
    and how much of the plan the accepted entries cover ("accepted 58 of 64 measures")."""
    approval: Decision | None
    meeting: Meeting | None
    publisher: Agency | None
    measures_covered: int
    measures_total: int
    entries_accepted: int
    entries_total: int


def status_counts(entries: list[RoundEntry]) -> dict[str, int]:
    """Entries by status key ("none" for no status): the report's summary and the portal's."""
    counts: dict[str, int] = {}
    for e in entries:
        key = e.status.key if e.status else "none"
        counts[key] = counts.get(key, 0) + 1
    return counts


def build(session: Session, r: ReportingRound, lang: str, public: bool = False,
          live: LiveProviders = NO_LIVE_PROVIDERS) -> ReportData:
    """Everything the report shows, loaded in a fixed number of statements."""
    public = public or r.published  # published: the official report, accepted entries only
    plan = session.get(Plan, r.plan_id)
    assert plan is not None
    pillars = list(session.scalars(select(Pillar).where(Pillar.plan_id == plan.id).order_by(Pillar.number).options(
        selectinload(Pillar.measures).selectinload(Measure.assignments).selectinload(MeasureAssignment.agency))))
    stmt = select(RoundEntry).where(RoundEntry.round_id == r.id).order_by(RoundEntry.id).options(*ENTRY_LOAD)
    if public:
        stmt = stmt.where(RoundEntry.state == "accepted")
    by_measure: dict[int, list[RoundEntry]] = {}
    for e in session.scalars(stmt):
        by_measure.setdefault(e.measure_id, []).append(e)
    statuses = ensure_statuses(session)
    blocks = []
    for p in pillars:
        measures = [MeasureBlock(m, by_measure.get(m.id, [])) for m in p.measures]
        blocks.append(PillarBlock(p, measures, status_counts([e for mb in measures for e in mb.entries])))
    legend = [(s.key, pick(s, "label", lang), s.colour) for s in statuses] + \
        [("none", gettext(lang, "No status"), "#dddddd")]
    chart = charts.stacked_bars(gettext(lang, "Status by pillar"),
                                [(f"{b.pillar.number}. {pick(b.pillar, 'title', lang)}", b.counts) for b in blocks], legend)
    return ReportData(round=r, plan=plan, lang=lang, draft=not r.published, public=public, label=round_label(r, lang),
                      pillars=blocks, statuses=statuses, status_chart=chart,
                      indicator_charts=_indicator_charts(session, lang, live), maps=_maps(session, lang, public),
                      generated_on=periods.today(), front=_front(session, r, plan, public),
                      errata=errata_svc.errata(session, r))


def _front(session: Session, r: ReportingRound, plan: Plan, public: bool) -> FrontMatter:
    """The approving decision (the latest "approve the round's report" naming this round), the publisher
    (the plan's coordinating agency) and the coverage (rounds.round_coverage, as the publish page counts it)."""
    stmt = (select(Decision, Meeting).join(Meeting, Decision.meeting_id == Meeting.id)
            .where(Decision.round_id == r.id, Decision.kind == "approve_round_report"))
    if public:  # the published report names public meetings only, as the portal's database user sees them
        stmt = stmt.where(Meeting.public.is_(True))
    found = session.execute(stmt.order_by(Meeting.held_on.desc(), Decision.id.desc()).limit(1)).first()
    cov = round_coverage(session, r)
    return FrontMatter(found[0] if found else None, found[1] if found else None, plan.coordinator,
                       cov.measures_covered, cov.measures_total, cov.entries_accepted, cov.entries_total)


def _indicator_charts(session: Session, lang: str, live: LiveProviders) -> list[IndicatorChart]:
    out = []
    for ind in indicators(session):
        if ind.code not in HEADLINE:
            continue
        pts = [(p.period, p.value) for p in series(session, ind, live) if not p.category]
        unit = pick(ind, "unit", lang)
        out.append(IndicatorChart(ind, pts, charts.line_chart(pick(ind, "title", lang), pts, unit,
                                                               target=ind.target_value)))
    return out


def _maps(session: Session, lang: str, public: bool) -> list[PrefectureMap]:
    out = []
    for m in prefectures.measures_with_status(session, published_only=public):
        rows = prefectures.table(session, m)
        title = f"{m.code} {pick(m, 'title', lang)}"
        out.append(PrefectureMap(m, rows, prefectures.svg_map(rows, lang, title), prefectures.counts(rows)))
    return out


def render_html(data: ReportData) -> str:
    return documents.render(TEMPLATES, "report_doc.html", data.lang, d=data, pref_statuses=prefectures.STATUSES)


_PDF_LOCK = threading.Lock()


def render_pdf(data: ReportData) -> bytes:
    """The report as PDF. The portal offers it to anyone: one PDF is made at a time in a process, and
    the last few are kept by their HTML, so a crowd following the link costs one rendering."""
    html = render_html(data)
    with _PDF_LOCK:
        return _pdf_of(html)


@functools.lru_cache(maxsize=8)
def _pdf_of(html: str) -> bytes:
    from PIL import ImageFile
    from weasyprint import HTML

    # WeasyPrint turns on Pillow's process-wide LOAD_TRUNCATED_IMAGES when imported; mamoru's
    # reports embed no images, and the image hasher must refuse truncated files, so put it back.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    pdf = HTML(string=html, base_url=".").write_pdf()
    assert pdf is not None
    return bytes(pdf)


def render_md(data: ReportData) -> str:
    lang = data.lang

    def _(msgid: str, **kw: Any) -> str:
        return gettext(lang, msgid, **kw)

    out = []
    if data.draft:
        out.append(f"> **{_('DRAFT: not yet approved or published')}**\n")
    out.append(f"# {pick(data.round, 'title', lang)}\n")
    out.append(f"{_('Plan')}: {pick(data.plan, 'title', lang)}  \n{_('Fiscal years')}: {data.label}  \n"
               f"{_('Generated')}: {fmt_date(data.generated_on, lang)}" +
               (f"  \n{_('Published at')}: {fmt_time_jst(data.round.published_at)}" if data.round.published_at else "")
               + "\n")
    out += _md_front(data)
    out.append(f"## {_('Summary')}\n")
    keys = [s.key for s in data.statuses] + ["none"]
    out.append("| " + _("Pillar") + " | " + " | ".join(pick(s, "label", lang) for s in data.statuses)
               + f" | {_('No status')} |")
    out.append("|---" * (len(keys) + 1) + "|")
    for b in data.pillars:
        out.append(f"| {b.pillar.number} | " + " | ".join(str(b.counts.get(k, 0)) for k in keys) + " |")
    out += _md_indicators(data) + _md_maps(data)
    for b in data.pillars:
        out.append(f"\n## {b.pillar.number}. {pick(b.pillar, 'title', lang)}\n")
        for mb in b.measures:
            m = mb.measure
            agencies = join_list(lang, (pick(a.agency, "name", lang) for a in m.assignments))
            out.append(f"### {m.code} {pick(m, 'title', lang)}\n\n*{agencies}*\n")
            for e in mb.entries:
                status = pick(e.status, "label", lang) if e.status else _("No status")
                state = "" if data.public else f" ({_(e.state.capitalize())})"
                out.append(f"- **{pick(e.agency, 'name', lang)}**: {status}{state}")
                text = pick(e, "narrative", lang)
                if text:
                    out.append("  " + text.replace("\n", "\n  "))
                for x in data.errata_by_entry.get(e.id, []):
                    out.append(f"  - **{_('Corrected on {date}', date=fmt_date(x.corrected_on, lang))}**: "
                               f"{pick(x, 'text', lang)} ({_('Reason')}: {x.reason})")
            if not mb.entries:
                out.append(f"- {_('No accepted report.')}")
    return "\n".join(out) + "\n"


def _md_front(data: ReportData) -> list[str]:
    """The front matter after the title: approval, publisher, coverage, and the errata."""
    lang, f = data.lang, data.front
    approved = (f"{pick(f.meeting, 'title', lang)}, {fmt_date(f.meeting.held_on, lang)}" if f.meeting
                else gettext(lang, "not yet approved by a meeting"))
    out = [f"{gettext(lang, 'Approved by')}: {approved}  \n{gettext(lang, 'Publisher')}: "
           f"{pick(f.publisher, 'name', lang) if f.publisher else '—'}\n",
           gettext(lang, "Accepted reports on {n} of {m} measures ({a} of {t} entries).", n=f.measures_covered,
                   m=f.measures_total, a=f.entries_accepted, t=f.entries_total) + "\n"]
    if data.errata:
        out.append(f"## {gettext(lang, 'Errata')}\n")
        for x in data.errata:
            what = (f"{x.entry.measure.code} {pick(x.entry.agency, 'name', lang)}" if x.entry
                    else gettext(lang, "The report as a whole"))
            out.append(f"- {fmt_date(x.corrected_on, lang)}, {what}: {pick(x, 'text', lang)} "
                       f"({gettext(lang, 'Reason')}: {x.reason})")
        out.append("")
    return out


def _md_number(value: float) -> str:
    return f"{value:,g}" if abs(value) < 1e6 else f"{value:,.0f}"


def _md_indicators(data: ReportData) -> list[str]:
    """The values behind the HTML report's trend charts, one table per headline indicator."""
    lang = data.lang
    out = [f"\n## {gettext(lang, 'Indicators')}"]
    for c in data.indicator_charts:
        unit = pick(c.indicator, "unit", lang)
        out.append(f"\n### {pick(c.indicator, 'title', lang)}\n")
        if not c.points:
            out.append(gettext(lang, "No values yet."))
        else:
            out.append(f"| {gettext(lang, 'Period')} | {gettext(lang, 'Value')}" + (f" ({unit})" if unit else "") + " |")
            out.append("|---|---:|")
            out += [f"| {period} | {_md_number(value)} |" for period, value in c.points]
        if c.indicator.target_value is not None:
            out.append(f"\n{gettext(lang, 'Target value')}: {_md_number(c.indicator.target_value)} {unit}".rstrip())
        source = pick(c.indicator, "source", lang)
        if source:
            out.append(f"\n{gettext(lang, 'Source')}: {source}")
    return out


def _md_maps(data: ReportData) -> list[str]:
    """What the HTML report's prefecture maps show: the count per status and the prefectures in each."""
    if not data.maps:
        return []
    lang = data.lang
    out = [f"\n## {gettext(lang, 'Prefectures')}"]
    for pm in data.maps:
        out.append(f"\n### {pm.measure.code} {pick(pm.measure, 'title', lang)}\n")
        out.append(f"| {gettext(lang, 'Status')} | {gettext(lang, 'Number of prefectures')} | {gettext(lang, 'Prefectures')} |")
        out.append("|---|---:|---|")
        for key, en, ja, _colour in prefectures.STATUSES:
            names = [pick(r.prefecture, "name", lang) for r in pm.rows
                     if key != "unknown" and r.status is not None and r.status.status == key]
            out.append(f"| {ja if lang == 'ja' else en} | {pm.counts[key]} | {join_list(lang, names)} |")
    return out


def render(session: Session, r: ReportingRound, lang: str, fmt: str, public: bool = False,
           live: LiveProviders = NO_LIVE_PROVIDERS) -> bytes:
    data = build(session, r, lang, public, live)
    if fmt == "pdf":
        return render_pdf(data)
    if fmt == "md":
        return render_md(data).encode("utf-8")
    return render_html(data).encode("utf-8")
