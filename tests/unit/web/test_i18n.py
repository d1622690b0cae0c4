"""Every interface string has a Japanese translation; era years and fiscal years are right."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

import mamoru
from mamoru.i18n import LOCALE_DIR, catalogue, era_year, fiscal_year_label, gettext

PACKAGE = Path(mamoru.__file__).parent  # web pages and the domains' documents (followup/templates)
DYNAMIC = ["lineage:unchanged", "lineage:revised", "lineage:split", "lineage:merged", "lineage:new", "draft", "in_force", "superseded", "origin:third-comprehensive", "origin:other", "origin:unknown",
           "wrong username or password", "too many failed attempts; wait 15 minutes",
           "report-status:received", "report-status:assessed", "report-status:acted_on"]


def msgids() -> set[str]:
    found: set[str] = set()
    for path in PACKAGE.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        found |= set(re.findall(r'_\(\s*"([^"]+)"\s*[,)]', text)) | set(re.findall(r"_\(\s*'([^']+)'", text))
    return found


def test_every_template_string_is_translated() -> None:
    ja = catalogue("ja")
    missing = sorted(m for m in msgids() | set(DYNAMIC) if m not in ja and m != "mamoru")
    assert missing == [], f"add these to locale/ja/LC_MESSAGES/messages.po: {missing}"


def test_no_message_is_translated_two_ways() -> None:
    """The catalogues are merged into one: a message id translated differently in two domains'
    files would show one domain's words on the other's pages (the follow-up's diff page said 宛先)."""
    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for path in sorted((LOCALE_DIR / "ja" / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as f:
            for m in read_po(f, locale="ja"):
                if m.id and m.string:
                    first = seen.setdefault(str(m.id), (path.name, str(m.string)))
                    if first[1] != m.string:
                        clashes.append(f"{m.id!r}: {first} and {(path.name, m.string)}")
    assert clashes == []


def test_placeholders_survive_translation() -> None:
    assert gettext("ja", "{loaded} of {total} measures loaded", loaded=24, total=88) == "全 88 施策のうち 24 件を登録済み"
    assert gettext("en", "{loaded} of {total} measures loaded", loaded=24, total=88) == "24 of 88 measures loaded"


def test_era_and_fiscal_years() -> None:
    assert era_year(2019) == "令和元年"
    assert era_year(2023) == "令和5年"
    assert era_year(2017) == "平成29年"
    assert fiscal_year_label(2024, "ja") == "令和6年度"
    assert fiscal_year_label(2019, "ja") == "令和元年度"
    assert fiscal_year_label(2023, "en") == "FY2023"


def test_keyed_messages_have_english_text() -> None:
    keyed = [m for m in DYNAMIC if ":" in m and " " not in m]
    en = catalogue("en")
    assert [m for m in keyed if m not in en] == []
    assert gettext("en", "origin:unknown") == "unknown (the outline does not say)"
