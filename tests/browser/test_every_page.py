"""Every page each role can reach, in Japanese and English, 1280 and 390 pixels wide: the page itself
never scrolls sideways (a wide table scrolls inside its own wrapper), no text is cut by a box that
hides its overflow, and a Japanese page shows no English interface text (a message that bypassed the
translation catalogue), an English page on a phone breaks no word across two lines, and no table
cell holding text is squeezed under 4em on a phone.

The pages come from the app's route table (every HTML GET route), the roles that reach each from the
authorization matrix's RULES (which a test keeps equal to the route table), and the ids in paths from
objects the factories build in the server's database. One server, one browser, one tab per role; the
two widths are the same loaded page resized. MAMORU_SHOTS=/tmp/shots saves a screenshot of each view.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from tests.browser.conftest import Server
from tests.conftest import TEST_PASSWORD
from tests.factories import followup as ff
from tests.factories import hotline as hf
from tests.factories import users as uf
from tests.security.routes import flat_routes
from tests.security.test_authorization_matrix import ANON, ROLES, rule_for
from tests.settings_support import make_settings

from mamoru.auth import roles as R
from mamoru.db import Database
from mamoru.i18n import catalogue

pytestmark = pytest.mark.browser

WIDTHS = (1280, 390)
NOT_PAGES = ("/api/", "/docs/")  # the API and its Swagger UI (tests/browser/test_api_docs_browser.py)
QUERIES = {"/followup/entries/{entry_id}/diff": "?a=1&b=2"}


@cache
def html_pages() -> list[str]:
    """Every GET route that answers with an HTML page, from the app's route table."""
    from fastapi.responses import HTMLResponse

    from mamoru.web.app import create_app

    app = create_app(make_settings(Path(tempfile.mkdtemp())))
    return sorted({p for m, p, r in flat_routes(app) if m == "GET" and not p.startswith(NOT_PAGES)
                   and getattr(r, "response_class", None) is HTMLResponse})


# A public page differs between signed-in roles only in the header's links, except for the roles that
# get forms on it (the plan office, agency officers, the administrator): the other roles check the
# public pages through the home page, the anonymous visitor checks them all.
PUBLIC_FORMS = (R.COORDINATOR, R.AGENCY_OFFICER, R.ADMINISTRATOR)


def pages_of(role: str) -> list[str]:
    reach = [p for p in html_pages() if role in (rule_for("GET", p) or ())]
    if role in (ANON, *PUBLIC_FORMS):
        return reach
    return [p for p in reach if p == "/" or ANON not in (rule_for("GET", p) or ())]


def _world(db: Database) -> dict[str, str]:
    """One user per role and an object of each kind a page path names, built by the factories."""
    from mamoru.blocklist import service as blocklist
    from mamoru.followup import meetings, rounds
    from mamoru.followup.models import RoundEntry
    from mamoru.plan.models import Agency, Body, Measure, Plan

    with db.session() as s:
        made = {role: uf.user(s, role, agency="NPA" if role == R.AGENCY_OFFICER else None) for role in R.ALL_ROLES}
        names = {role: u.username for role, u in made.items()}
        r = ff.reporting_round(s, years=(2023,))
        npa = s.scalars(select(Agency).where(Agency.code == "NPA")).one()
        first = s.scalars(select(RoundEntry).where(RoundEntry.round_id == r.id, RoundEntry.agency_id == npa.id)
                          .order_by(RoundEntry.id)).first()
        assert first is not None
        measure_code = s.get(Measure, first.measure_id).code  # type: ignore[union-attr]
        entry = ff.accepted_entry(s, measure_code, "NPA", "警察庁として取締りを強化した。", "Enforcement was stepped up.")
        rounds.publish_round(s, None, r)
        _indicator_values(s, made[R.COORDINATOR])
        body = s.scalars(select(Body).order_by(Body.id)).first()
        assert body is not None
        meeting = meetings.record_meeting(s, None, date(2024, 5, 1), "Council, first meeting", "推進会議 第1回",
                                          [body.key])
        case = hf.report(s, "http://every-page.example.test/a").case_id
        listed = blocklist.propose(s, made[R.ANALYST], "url", "http://every-page.example.test/b", "画面確認用の例")
        for name in ("c", "d"):
            e = blocklist.propose(s, made[R.ANALYST], "host", f"{name}.every-page.example.test", "画面確認用の例")
            blocklist.confirm(s, made[R.SENIOR_ANALYST], e.id)
        plan = s.scalars(select(Plan).order_by(Plan.id)).first()
        assert plan is not None
        measure = s.scalars(select(Measure).order_by(Measure.id)).first()
        assert measure is not None
        s.commit()
        params = {"key": plan.key, "number": "1", "uid": measure.uid, "code": "NPA", "round_id": str(r.id),
                  "meeting_id": str(meeting.id), "case_id": str(case)}
        params["entry_id:followup"], params["entry_id:blocklist"] = str(entry.id), str(listed.id)
        params["code:portal"] = params["code:followup"] = "victims-by-age"  # an indicator's pages
    return {**params, **{f"user:{role}": name for role, name in names.items()}}


def _indicator_values(s: Any, office: Any) -> None:
    """The shipped indicators, with one indicator's values by age group approved and a draft waiting, so
    its public page shows a chart, a breakdown table and a withdrawal note, and its staff page a history."""
    from mamoru.followup import indicator_values as ivals
    from mamoru.followup import indicators as isvc
    from mamoru.followup.reference import load_reference

    load_reference(s)
    ind = isvc.get_indicator(s, "victims-by-age")
    second = uf.user(s, R.COORDINATOR)
    for year, total in ((2016, 30), (2019, 41), (2020, 38), (2023, 45)):
        for category, value in (("", total), ("age:elementary", total // 3), ("age:high-school", total - total // 3)):
            v = ivals.add_value(s, office, ind, str(year), value, source="警察庁（画面確認用の例）", category=category)
            ivals.approve_value(s, second, ind, v)
    ivals.withdraw_value(s, second, ind, ind.values[0], "集計の誤りが判明したため（画面確認用の例）")
    ivals.add_value(s, office, ind, "2024", 50, status="provisional", source="警察庁（速報）")


def url_of(path: str, world: dict[str, str]) -> str:
    domain = path.split("/")[1]
    filled = re.sub(r"\{(\w+)\}", lambda m: world.get(f"{m.group(1)}:{domain}", world.get(m.group(1), "")), path)
    return filled + QUERIES.get(path, "")


def _publications(server: Server, db: Database, world: dict[str, str]) -> None:
    """Two publications, the second with a delta from the first (the page of publication shows every
    kind of file), then one more change, so the publish page shows its form."""
    from mamoru.blocklist import service as blocklist

    def publish() -> None:
        done = server.cli("blocklist", "publish", "--as", world[f"user:{R.SENIOR_ANALYST}"])
        assert done.returncode == 0, done.stderr

    def remove_one() -> None:
        with db.session() as s:
            e = min(blocklist.entries(s, "active"), key=lambda e: e.id)
            blocklist.remove(s, e.confirmed_by, e.id, "画面確認用の例")
            s.commit()

    publish()
    remove_one()
    publish()
    with db.session() as s:
        world["version"] = str(blocklist.current_version(s))
    remove_one()


@pytest.fixture(scope="module")
def world(server: Server) -> dict[str, str]:
    db = Database.from_url(server.env["MAMORU_DATABASE_URL"])
    try:
        made = _world(db)
        _publications(server, db, made)
        return made
    finally:
        db.engine.dispose()


# Checks run in the page. A box "cuts" when it hides overflow (hidden or clip, or an ellipsis) and its
# content is larger than it; boxes of a pixel or less are visually-hidden text for screen readers.
LAYOUT_JS = """() => {
  const describe = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
      (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '') +
      ' "' + (el.innerText || '').trim().slice(0, 40) + '"';
  const cut = [];
  for (const el of document.querySelectorAll('body, body *')) {
    if (el.clientWidth <= 1 || el.clientHeight <= 1) continue;
    const cs = getComputedStyle(el);
    if (cs.display === 'none' || cs.visibility === 'hidden') continue;
    const hidesX = ['hidden', 'clip'].includes(cs.overflowX) || cs.textOverflow === 'ellipsis';
    const hidesY = ['hidden', 'clip'].includes(cs.overflowY);
    if ((hidesX && el.scrollWidth > el.clientWidth + 1) || (hidesY && el.scrollHeight > el.clientHeight + 1))
      cut.push(describe(el));
  }
  // What sticks out past the right edge (innermost first), to name in the failure.
  const wide = [...document.querySelectorAll('body *')].filter(el => el.getBoundingClientRect().right > window.innerWidth + 1
      && ![...el.children].some(c => c.getBoundingClientRect().right > window.innerWidth + 1)).slice(0, 3).map(describe);
  return {scrollWidth: document.scrollingElement.scrollWidth, innerWidth: window.innerWidth, cut: cut, wide: wide};
}"""

# English words broken across two lines (a box with word-break: break-all cut "only" into "on" and
# "ly" on a phone): each word of prose, outside what is data by nature (URLs, codes, hashes), whose
# letters do not all stand on one line. A word longer than its box may break (overflow-wrap).
BROKEN_WORDS_JS = """() => {
  const skip = 'script, style, code, pre, kbd, samp, .code, .url, td.detail, td.pairs .value, textarea, select, option, svg, #receipt';
  const broken = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const parent = n.parentElement;
    if (!parent || parent.closest(skip) || !parent.getClientRects().length) continue;
    for (const m of n.textContent.matchAll(/[A-Za-z]{3,16}/g)) {
      range.setStart(n, m.index);
      range.setEnd(n, m.index + m[0].length);
      const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
      if (tops.size > 1) broken.add(m[0] + ' in "' + n.textContent.trim().slice(0, 50) + '"');
    }
  }
  return [...broken].slice(0, 5);
}"""

# A table's label column squeezed so narrow that its text stands three characters or fewer a line
# (the portal's summary put "1. 児童の性的搾取等の撲滅..." one character a line at 390 px): a first
# cell of 12 characters or more whose lines hold fewer than four on average.
SQUEEZED_JS = """() => [...document.querySelectorAll('main td:first-child, main th:first-child')].filter(c => {
    const text = (c.innerText || '').trim();
    if (text.length < 12 || c.closest('.url, code') || !c.clientWidth) return false;
    const range = document.createRange();
    range.selectNodeContents(c);
    const lines = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top))).size;
    return lines > 1 && text.replace(/\\s+/g, '').length / lines < 4;
  }).slice(0, 3).map(c => c.tagName.toLowerCase() + ' "' + c.innerText.trim().slice(0, 30) + '" ' + c.clientWidth + 'px')"""

# No table cell is squeezed so narrow that Japanese text stands a character or two a line (/admin/users
# put 管理者 and ブロッキングリスト購読者 one or two characters a line at 390 px): every cell holding text
# (three characters or more: a mark or a number alone may be narrow) is at least 4em wide.
NARROW_CELLS_JS = """() => [...document.querySelectorAll('main td, main th')].filter(c => {
    if ((c.innerText || '').replace(/\\s+/g, '').length < 3) return false;
    const width = c.getBoundingClientRect().width;
    return width > 0 && width < 4 * parseFloat(getComputedStyle(c).fontSize) - 0.5;
  }).slice(0, 3).map(c => c.tagName.toLowerCase() + ' "' + c.innerText.trim().slice(0, 20) + '" '
                           + Math.round(c.getBoundingClientRect().width) + 'px')"""

# The header's own words stay whole on a phone ("ログアウト" broke into "ログアウ" / "ト").
HEADER_WORDS_JS = """() => [...document.querySelectorAll('header.site .who a.lang, header.site .who button.link')]
  .filter(el => new Set([...el.getClientRects()].map(r => Math.round(r.top))).size > 1
             || el.getBoundingClientRect().height > 1.8 * parseFloat(getComputedStyle(el).lineHeight || '20'))
  .map(el => el.innerText.trim())"""

# The interface text a Japanese reader sees: text nodes and the attributes read out or shown, outside
# what is data by nature (code, URLs, hashes) or marked as English content (lang="en": the English
# narrative or title shown beside the Japanese one).
TEXTS_JS = """() => {
  const skip = 'script, style, code, pre, kbd, samp, .code, .url, [lang="en"], [translate="no"], textarea, svg';
  const out = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const t = n.textContent.replace(/\\s+/g, ' ').trim();
    if (t && !n.parentElement.closest(skip)) out.add(t);
  }
  for (const el of document.querySelectorAll('[placeholder], [title], [aria-label], [alt], input[type=submit], input[type=button]')) {
    if (el.closest(skip)) continue;
    for (const a of ['placeholder', 'title', 'aria-label', 'alt']) { const v = el.getAttribute(a); if (v) out.add(v.trim()); }
    if (el.matches('input[type=submit], input[type=button]') && el.value) out.add(el.value.trim());
  }
  out.add(document.title.trim());
  return [...out];
}"""

WORDS = re.compile(r"[A-Za-z][a-z]+(?:[,'’]?\s+[A-Za-z][a-z]+){2,}")
"""Three or more English words in a row (a key such as victims-by-age is a code): a sentence or
phrase of the interface."""

NAMES = frozenset({
    # Proper names and codes the Japanese interface shows as they are, each reviewed.
})


@cache
def leaked_pattern() -> re.Pattern[str]:
    """The English message ids that have a Japanese translation of their own, placeholders matching
    anything: one of them on a Japanese page is interface text that skipped the catalogue."""
    ja = catalogue("ja")
    ids = sorted((m for m, t in ja.items() if t != m and re.search(r"[A-Za-z]{2,}\W+[A-Za-z]{2,}", m)
                  and ":" not in m.split(" ")[0]), key=len, reverse=True)
    parts = [".+?".join(re.escape(p) for p in re.split(r"\{\w*\}", m)) for m in ids]
    return re.compile("|".join(rf"(?<![A-Za-z])(?:{p})(?![A-Za-z])" for p in parts))


def leaks(texts: list[str]) -> list[str]:
    found = []
    for t in texts:
        if t in NAMES:
            continue
        m = leaked_pattern().search(t) or WORDS.search(t)
        if m:
            found.append(f"{m.group(0)!r} in {t[:80]!r}")
    return found


def _login(page: Any, server: Server, username: str) -> None:
    page.goto(server.url + "/login?lang=en")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", TEST_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")


def check_page(page: Any, url: str, lang: str, shots: Path | None, tag: str) -> list[str]:
    """Load `url` in `lang`, check it at each width; the problems found."""
    problems: list[str] = []
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})
    response = page.goto(url + ("&" if "?" in url else "?") + f"lang={lang}")
    if response is None or response.status != 200:
        return [f"status {response.status if response else None}"]
    if lang == "ja":
        problems += [f"English in ja: {x}" for x in leaks(page.evaluate(TEXTS_JS))]
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        got = page.evaluate(LAYOUT_JS)
        if got["scrollWidth"] > got["innerWidth"]:
            problems.append(f"{width}px: page scrolls sideways ({got['scrollWidth']} > {got['innerWidth']}): "
                            + "; ".join(got["wide"]))
        problems += [f"{width}px: cut: {c}" for c in got["cut"]]
        problems += [f"{width}px: the header's {w!r} is broken across lines" for w in page.evaluate(HEADER_WORDS_JS)]
        problems += [f"{width}px: a squeezed label column: {c}" for c in page.evaluate(SQUEEZED_JS)]
        if width == WIDTHS[-1]:
            problems += [f"{width}px: a table cell narrower than 4em: {c}" for c in page.evaluate(NARROW_CELLS_JS)]
        if lang == "en" and width == WIDTHS[-1]:
            problems += [f"{width}px: a word broken across lines: {w}" for w in page.evaluate(BROKEN_WORDS_JS)]
        if shots is not None:
            page.screenshot(path=str(shots / f"{tag}-{lang}-{width}.png"), full_page=True)
    return problems


@pytest.fixture(scope="module")
def role_page(browser: Any, server: Server, world: dict[str, str]) -> Iterator[Any]:
    """One tab; the test of each role signs it in (or out, for the anonymous visitor)."""
    context = browser.new_context(locale="ja-JP")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.mark.parametrize("server", ["sqlite"], indirect=True)  # layout does not depend on the database
@pytest.mark.parametrize("role", ROLES)
def test_every_page(role: str, role_page: Any, server: Server, world: dict[str, str]) -> None:
    page = role_page
    page.context.clear_cookies()
    if role != ANON:
        _login(page, server, world[f"user:{role}"])
    shots = Path(os.environ["MAMORU_SHOTS"]) if os.environ.get("MAMORU_SHOTS") else None
    if shots is not None:
        shots.mkdir(parents=True, exist_ok=True)
    found: dict[str, list[str]] = {}
    for path in pages_of(role):
        url = server.url + url_of(path, world)
        tag = f"{role}{path}".replace("/", "_").replace("{", "").replace("}", "")
        for lang in ("ja", "en"):
            problems = check_page(page, url, lang, shots, tag)
            if problems:
                found[f"{lang} {path}"] = problems
    assert found == {}, "\n".join(f"{k}:\n  " + "\n  ".join(v) for k, v in found.items())
