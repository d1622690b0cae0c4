"""Indicators, prefecture status, meetings, WePROTECT alignment, the report and the public portal
(drafts and unpublished data never on the portal)."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date

import pytest
from sqlalchemy import select
from tests.factories.followup import accepted_entry, reporting_round

from mamoru.auth import roles
from mamoru.composition import live_providers
from mamoru.domain import Computed, IndicatorProvider
from mamoru.errors import InvalidInput, PermissionDenied
from mamoru.followup import alignment, materials, meetings, prefectures
from mamoru.followup import entries as svc
from mamoru.followup import indicator_values as ivals
from mamoru.followup import indicators as isvc
from mamoru.followup.models import RoundEntry
from mamoru.followup.reference import load_reference
from mamoru.followup.report import build, render, render_md
from mamoru.followup.rounds import publish_round
from mamoru.followup.workflow import Content
from mamoru.plan.models import Measure


def test_shipped_indicators_have_sources_and_corrections(ref, make_user) -> None:  # type: ignore[no-untyped-def]
    assert load_reference(ref) == {}  # second load adds nothing
    inds = {i.code: i for i in isvc.indicators(ref)}
    assert {"cp-victims", "sns-victims", "minors-filtering-share", "jk-business-count", "victims-by-age",
            "prefectures-jk-ordinance", "ihc-reports"} <= set(inds)
    assert all(v.source for i in inds.values() for v in i.values)
    sns = {p.period: p for p in isvc.series(ref, inds["sns-victims"], live_providers("office"))}
    assert sns["2019"].value == 2082 and sns["2019"].status == "final"
    assert [o.value for o in sns["2019"].superseded] == [2095]
    assert inds["victims-by-age"].values == [] and "age:junior-high" in inds["victims-by-age"].breakdown
    # a correction names the published value it corrects; approved by a second person, it supersedes it
    # without losing it
    published = next(v for v in inds["cp-victims"].values if v.period == "2022")
    office, second = make_user(roles.COORDINATOR), make_user(roles.COORDINATOR)
    fix = ivals.add_value(ref, office, inds["cp-victims"], "2022", 1490, source="NPA final figures (test)",
                          corrects=published.id)
    ivals.approve_value(ref, second, inds["cp-victims"], fix)
    cp = {p.period: p for p in isvc.series(ref, isvc.get_indicator(ref, "cp-victims"), live_providers("office"))}
    assert cp["2022"].value == 1490 and cp["2022"].superseded[0].value == 1487
    with pytest.raises(InvalidInput):
        ivals.add_value(ref, None, inds["cp-victims"], "2023", 1, source="")


def test_provider_hook_and_registry_provider(ref) -> None:  # type: ignore[no-untyped-def]
    r = reporting_round(ref)
    accepted_entry(ref, "1-2", "CAO", "実施した。")
    accepted_entry(ref, "3-1", "NPA", "継続中。", status="in_progress")
    ind = isvc.get_indicator(ref, "measures-implemented-share")
    live = live_providers("portal")
    assert isvc.series(ref, ind, live) == []  # nothing published yet: drafts never feed public figures
    publish_round(ref, None, r)
    pts = isvc.series(ref, ind, live)
    assert [(p.period, p.value, p.status) for p in pts] == [("FY2023", round(100 / 7, 1), "computed")]
    # a provider of another domain, computed in this process: entered, published figures still win
    fake = IndicatorProvider("hotline.reports_received", lambda s, t, m: [Computed("2025", 600000.0), Computed("2024", 1.0)],
                             frozenset({"hotline"}))
    ihc = {p.period: p for p in isvc.series(ref, isvc.get_indicator(ref, "ihc-reports"), {fake.code: fake})}
    assert ihc["2025"].status == "computed" and ihc["2024"].value == 546556  # published figure wins


def test_prefecture_status_table_map_and_indicator(ref, make_user) -> None:  # type: ignore[no-untyped-def]
    m = ref.scalar(select(Measure).where(Measure.code == "2-1"))
    for code in ("13", "27", "47"):
        prefectures.set_status(ref, None, m, code, "done", date(2017, 7, 1))
    prefectures.set_status(ref, None, m, "1", "in_progress")
    with pytest.raises(PermissionDenied):
        prefectures.set_status(ref, make_user(roles.AGENCY_OFFICER, agency="NPA"), m, "02", "done")
    rows = prefectures.table(ref, m)
    assert len(rows) == 47 and prefectures.counts(rows) == {"done": 3, "in_progress": 1, "none": 0, "unknown": 43}
    svg = prefectures.svg_map(rows, "ja", "2-1")
    assert svg.count("<rect") == 47 and 'data-pref="13"' in svg and "東京都" in svg
    ind = isvc.get_indicator(ref, "prefectures-jk-ordinance")
    ind.measures = [m.uid]
    live = live_providers("portal")
    assert isvc.series(ref, ind, live) == []  # not published: the public indicator does not reveal it
    prefectures.publish(ref, None, m)
    assert isvc.series(ref, ind, live)[0].value == 3


def test_meetings_and_alignment(ref) -> None:  # type: ignore[no-untyped-def]
    ms = meetings.meetings(ref)
    assert ms and ms[0].number == 16 and ms[0].decisions[0].kind == "approve_round_report"
    joint = meetings.record_meeting(ref, None, date(2025, 3, 1), "Joint meeting", "合同会議",
                                    ["dg-liaison-meeting", "public-private-council"], attendees=[{"name": "A"}])
    meetings.add_decision(ref, None, joint, "amend_founding_decision", "Founding decision amended", "申合せ改正")
    meetings.add_action(ref, None, joint, "Survey filtering use", "フィルタリング利用調査", "t-1-01", "CFA", date(2025, 9, 30))
    with pytest.raises(InvalidInput):
        meetings.record_meeting(ref, None, date(2025, 3, 1), "x", "x", ["no-such-body"])
    bodies = {b.key: p for b, p in meetings.bodies(ref)}
    assert bodies["dg-liaison-meeting"].names and bodies["ministerial-meeting-crime"].chair_en == "Prime Minister"
    cov = alignment.coverage(ref)
    assert len(cov) == 21 and all(not c.measures for c in cov)
    m = ref.scalar(select(Measure).where(Measure.code == "3-1"))
    alignment.map_measure(ref, None, m, 4)
    alignment.assess(ref, None, 4, 3, date(2025, 1, 10))
    alignment.assess(ref, None, 4, 2, date(2024, 1, 10))
    cov = {c.capability.number: c for c in alignment.coverage(ref)}
    assert [x.code for x in cov[4].measures] == ["3-1"] and sum(1 for c in cov.values() if not c.measures) == 20
    assert cov[4].maturity.phase == 3 and len(cov[4].history) == 2


def test_report_marks_drafts_and_public_shows_only_accepted(ref) -> None:  # type: ignore[no-untyped-def]
    r = reporting_round(ref, (2022, 2023))
    accepted_entry(ref, "1-2", "CAO", "広報週間を実施した。", "A publicity week was held.")
    e = ref.scalar(select(RoundEntry).join(Measure).where(Measure.code == "3-2").limit(1))
    svc.save_entry(ref, e, None, Content("in_progress", "", "下書きの記述（非公開）", [], []))
    md = render_md(build(ref, r, "ja"))
    assert "草案" in md.splitlines()[0] and "下書きの記述（非公開）" in md and "令和4年度・令和5年度" in md
    public = render_md(build(ref, r, "ja", public=True))
    assert "下書きの記述（非公開）" not in public and "広報週間を実施した。" in public
    html = render(ref, r, "en", "html").decode()
    assert 'id="draft-mark"' in html and "<svg" in html and "FY2022 and FY2023" in html
    publish_round(ref, None, r)
    assert 'id="draft-mark"' not in render(ref, r, "en", "html").decode()


def _svg_in(html: str, marker: str) -> str:
    """The first <svg>...</svg> after `marker` (a wrapper's attribute) in the report's HTML."""
    start = html.index(marker)
    return html[html.index("<svg", start): html.index("</svg>", start) + len("</svg>")]


def test_report_has_indicator_trend_charts_and_prefecture_maps(ref) -> None:  # type: ignore[no-untyped-def]
    r = reporting_round(ref)
    m = ref.scalar(select(Measure).where(Measure.code == "2-1"))
    prefectures.set_status(ref, None, m, "13", "done", date(2017, 7, 1))
    prefectures.set_status(ref, None, m, "27", "in_progress")
    html = render(ref, r, "ja", "html").decode()
    for code in ("cp-victims", "sns-victims", "cp-cases-cleared", "measures-implemented-share"):
        ind = isvc.get_indicator(ref, code)
        points = [p for p in isvc.series(ref, ind, live_providers("office")) if not p.category]
        svg = _svg_in(html, f'data-indicator="{code}"')
        assert f'aria-label="{ind.title_ja}"' in svg, code                    # the chart of this indicator
        assert svg.count("<circle") == len(points), code                       # one dot per value
        for p in points:
            assert f"<title>{p.period}: {p.value:,g} {ind.unit_ja}</title>" in svg, (code, p.period)
    cp = _svg_in(html, 'data-indicator="cp-victims"')
    assert cp.count("<circle") == 7 and "<polyline" in cp and "2013" in cp and "2022" in cp
    tiles = _svg_in(html, f'data-measure="{m.uid}"')
    assert tiles.count("data-pref=") == 47 and "2-1" in tiles
    tokyo = tiles[tiles.index('data-pref="13"'):]
    osaka = tiles[tiles.index('data-pref="27"'):]
    hokkaido = tiles[tiles.index('data-pref="01"'):]
    assert f'fill="{prefectures.COLOURS["done"]}"' in tokyo.split("</g>")[0] and "東京都" in tokyo.split("</g>")[0]
    assert f'fill="{prefectures.COLOURS["in_progress"]}"' in osaka.split("</g>")[0]
    assert f'fill="{prefectures.COLOURS["done"]}"' not in hokkaido.split("</g>")[0]
    # the public report (the portal's) shows a prefecture map only once its status is published
    public = render(ref, r, "ja", "html", public=True).decode()
    assert 'data-indicator="cp-victims"' in public and f'data-measure="{m.uid}"' not in public
    prefectures.publish(ref, None, m)
    assert f'data-measure="{m.uid}"' in render(ref, r, "ja", "html", public=True).decode()


def _md_section(md: str, heading: str) -> str:
    """From a Markdown heading to the next heading."""
    start = md.index(heading)
    end = md.find("\n#", start + len(heading))
    return md[start: end if end >= 0 else len(md)]


def test_markdown_report_carries_the_charts_values(ref) -> None:  # type: ignore[no-untyped-def]
    r = reporting_round(ref)
    m = ref.scalar(select(Measure).where(Measure.code == "2-1"))
    for code in ("13", "27"):
        prefectures.set_status(ref, None, m, code, "done")
    prefectures.set_status(ref, None, m, "01", "none")
    md = render_md(build(ref, r, "ja"))
    indicators_at, prefs_at, pillar_at = md.index("\n## 指標\n"), md.index("\n## 都道府県\n"), md.index("\n## 1. ")
    assert indicators_at < prefs_at < pillar_at                 # after the summary, before the measures
    cp = _md_section(md, "### 児童ポルノ事犯の被害児童")
    assert "| 期間 | 値 (人) |" in cp and "| 2013 | 646 |" in cp and "| 2022 | 1,487 |" in cp
    assert cp.count("\n| 20") == 7 and "出典: 警察庁（年中）" in cp
    share = _md_section(md, "### 実施済みと報告された施策の割合")  # nothing published yet: no value
    assert "まだ値がありません。" in share and "目標値: 100 %" in share and "| 期間 |" not in share
    prefs = md[prefs_at:pillar_at]
    assert "### 2-1 " in prefs
    assert "| 実施済み（制定・強化済み） | 2 | 東京都、大阪府 |" in prefs
    assert "| 未実施 | 1 | 北海道 |" in prefs and "| 不明 | 44 |" in prefs
    en = render_md(build(ref, r, "en"))
    assert "| Done (enacted / reinforced) | 2 | Tokyo, Osaka |" in en and "| Period | Value (children) |" in en
    # without any prefecture status there is no prefecture section (and no empty heading)
    assert "## Prefectures" not in render_md(build(ref, r, "en", public=True))


def _pdf_pages(path) -> list[str]:  # type: ignore[no-untyped-def]
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))  # type: ignore[union-attr]
    return [subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), "-layout", str(path), "-"],
                           capture_output=True, text=True, check=True).stdout for n in range(1, pages + 1)]


@pytest.mark.skipif(shutil.which("pdftotext") is None or shutil.which("pdfinfo") is None,
                    reason="pdftotext and pdfinfo (poppler-utils) are not installed")
def test_pdf_renders_japanese_and_marks_every_page_of_a_draft(ref, tmp_path) -> None:  # type: ignore[no-untyped-def]
    r = reporting_round(ref)
    long_text = "フィルタリングの普及啓発を実施した。" * 60      # long narratives: the report runs to several pages
    for code, agency in (("1-1", "NPA"), ("1-1", "MIC"), ("1-2", "CAO"), ("3-1", "NPA"), ("3-1", "MOJ")):
        accepted_entry(ref, code, agency, long_text)
    path = tmp_path / "report.pdf"
    pdf = render(ref, r, "ja", "pdf")
    assert pdf.startswith(b"%PDF")
    path.write_bytes(pdf)
    pages = _pdf_pages(path)
    text = "".join(pages)
    assert "子供の性被害防止プランに基づく施策の実施状況" in text   # the Japanese title heading
    assert "概要" in text                                              # a Japanese section heading
    assert len(pages) >= 3, f"the test needs a report of several pages, got {len(pages)}"
    unmarked = [n for n, page in enumerate(pages, start=1) if "草案" not in page]
    assert unmarked == [], f"pages without the draft mark: {unmarked} of {len(pages)}"
    publish_round(ref, None, r)
    path.write_bytes(render(ref, r, "ja", "pdf"))
    published = _pdf_pages(path)
    assert len(published) >= 3 and not any("草案" in p for p in published)  # a published report is not marked


def test_portal_shows_published_only(client, ref) -> None:  # type: ignore[no-untyped-def]
    r = reporting_round(ref)
    accepted_entry(ref, "1-2", "CAO", "公開される記述。")
    e = ref.scalar(select(RoundEntry).join(Measure).where(Measure.code == "3-1").limit(1))
    svc.save_entry(ref, e, None, Content("in_progress", "", "非公開の下書き", [], []))
    ref.commit()
    home = client.get("/portal?lang=ja").text
    assert 'id="no-rounds"' in home
    assert client.get(f"/portal/rounds/{r.id}").status_code == 404
    publish_round(ref, None, r)
    ref.commit()
    home = client.get("/portal?lang=ja").text
    assert f'href="/portal/rounds/{r.id}"' in home and "<svg" in home
    page = client.get(f"/portal/rounds/{r.id}?lang=ja").text
    assert "公開される記述。" in page and "非公開の下書き" not in page
    for path in ("/portal/indicators", "/portal/help", "/portal/awareness"):
        for lang in ("ja", "en"):
            assert client.get(f"{path}?lang={lang}").status_code == 200, path
    help_ja = client.get("/portal/help?lang=ja").text
    assert all(n in help_ja for n in ("189", "#9110", "#8891", "0120-007-110")) and 'href="tel:189"' in help_ja
    assert "Children's Human Rights 110" in client.get("/portal/help?lang=en").text.replace("&#39;", "'")
    assert 'name="viewport"' in help_ja


def test_awareness_material_linked_from_measure(client, ref, make_user) -> None:  # type: ignore[no-untyped-def]
    mic = make_user(roles.AGENCY_OFFICER, agency="MIC")
    m = materials.add_material(ref, mic, "t-1-01", "Filtering guide for parents", "保護者向けフィルタリングガイド",
                               "https://www.soumu.go.jp/example-filtering")
    with pytest.raises(PermissionDenied):
        materials.add_material(ref, mic, "t-1-02", "x", "x", "https://example.org/")
    ref.commit()
    assert "保護者向けフィルタリングガイド" not in client.get("/portal/awareness?lang=ja").text  # a draft until published
    materials.set_published(ref, mic, m, True)
    ref.commit()
    page = client.get("/portal/awareness?lang=ja").text
    assert "保護者向けフィルタリングガイド" in page and re.search(r'href="/measures/t-1-01">1-1', page) and "総務省" in page


def test_staff_pages_render(client, ref, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    r = reporting_round(ref)
    login_as(make_user(roles.COORDINATOR))
    for path in ("/followup", f"/followup/rounds/{r.id}", f"/followup/rounds/{r.id}/entries", "/followup/indicators",
                 "/followup/prefectures?measure=t-2-01", "/followup/meetings", "/followup/alignment",
                 "/followup/help-services", "/followup/statuses", f"/followup/rounds/{r.id}/report?lang=en"):
        for lang in ("ja", "en"):
            resp = client.get(path + ("&" if "?" in path else "?") + f"lang={lang}")
            assert resp.status_code == 200, (path, lang, resp.text[:300])
    md = client.get(f"/followup/rounds/{r.id}/report?lang=ja&format=md")
    assert md.status_code == 200 and md.text.startswith("> **")
