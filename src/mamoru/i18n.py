"""Japanese and English for the interface.

Interface strings are English message ids translated through a gettext catalogue
(locale/ja/LC_MESSAGES/*.po, one file per domain, read with Babel); content fields come in pairs (title_en,
title_ja) and `pick()` chooses by language, falling back to the other with a mark.
Dates are formatted with Babel in each language; fiscal years also in the Japanese era form.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from babel.dates import format_date
from babel.messages.pofile import read_po

from mamoru.errors import DomainError, InvalidInput, Phrase, Problem, Term, Terms
from mamoru.periods import JST, fiscal_period_label, japan_date

LANGS = ("ja", "en")
LANGUAGE_NAMES = {"ja": "日本語", "en": "English"}
"""Each language by its own name (the language switch, the account forms, the audit log)."""
LOCALE_DIR = Path(__file__).resolve().parent / "locale"


@cache
def catalogue(lang: str) -> dict[str, str]:
    """Translations for `lang`. English message ids are their own text, except keyed ids such as
    "origin:unknown", which the English catalogue spells out."""
    merged: dict[str, str] = {}
    # One catalogue per domain (messages.po for the foundation, <domain>.po for the others).
    folder = LOCALE_DIR / lang / "LC_MESSAGES"
    for path in sorted(folder.glob("*.po")) if folder.is_dir() else []:
        with path.open("rb") as f:
            cat = read_po(f, locale=lang)
        merged.update({str(m.id): str(m.string) for m in cat if m.id and m.string and not m.fuzzy})
    return merged


def gettext(lang: str, msgid: str, **kwargs: Any) -> str:
    text = catalogue(lang).get(msgid, msgid)
    return text.format(**kwargs) if kwargs else text


def ngettext(lang: str, singular: str, plural: str, count: int, **kwargs: Any) -> str:
    """A count's sentence: English picks "{n} entry" or "{n} entries" by `count`; Japanese has one
    form, the plural message id's translation (the catalogues hold the plural id)."""
    if lang == "en":
        msgid = singular if count == 1 else plural
    else:
        msgid = plural
    return gettext(lang, msgid, **kwargs)


def join_list(lang: str, items: Iterable[str]) -> str:
    """A list of names as a sentence of `lang` writes it: "警察庁、総務省", "NPA, MIC"."""
    return ("、" if lang == "ja" else ", ").join(items)


def _value(lang: str, value: object) -> object:
    if isinstance(value, Term):
        return gettext(lang, value.msgid)
    if isinstance(value, Terms):
        return join_list(lang, (gettext(lang, t.msgid) for t in value.terms))
    if isinstance(value, Phrase):
        return _message(lang, value.template, value.params)
    return value


def _message(lang: str, template: str, params: Any) -> str:
    """A service's message in `lang`: the template translated, its Term values too."""
    values = {k: _value(lang, v) for k, v in (params or {}).items()}
    text = catalogue(lang).get(template, template)
    return text.format(**values) if values else text


def reason_text(lang: str, problem: Problem) -> str:
    """Why a value is refused, in `lang` (without where)."""
    return _message(lang, problem.template or problem.reason, problem.params)


def field_label(lang: str, field: str) -> str:
    """A form field's name as a page says it: its keyed name "field:url" when the catalogue has one."""
    return catalogue(lang).get(f"field:{field}", field)


def problem_text(lang: str, problem: Problem) -> str:
    """One refused value in `lang`: "row 3, URL: ..." (the field by its keyed name "field:url" when
    the catalogue has one; "input" is no field and is left out)."""
    reason = reason_text(lang, problem)
    where = gettext(lang, "row {row}", row=problem.row) + ", " if problem.row is not None else ""
    if problem.field == "input":
        return where + reason
    return f"{where}{field_label(lang, problem.field)}: {reason}"


def error_messages(lang: str, exc: DomainError) -> list[str]:
    """What a page shows for a refused step, in the reader's language: each refused value of an
    InvalidInput, else the error's message."""
    if isinstance(exc, InvalidInput):
        return [problem_text(lang, p) for p in exc.problems]
    return [_message(lang, exc.template or str(exc), exc.params)]


def pick(obj: Any, field: str, lang: str) -> str:
    """obj.<field>_<lang>, else the other language's text."""
    other = "en" if lang == "ja" else "ja"
    value = getattr(obj, f"{field}_{lang}", None) if not isinstance(obj, dict) else obj.get(f"{field}_{lang}", obj.get(lang))
    if value:
        return str(value)
    fallback = getattr(obj, f"{field}_{other}", None) if not isinstance(obj, dict) else obj.get(f"{field}_{other}", obj.get(other))
    return str(fallback or "")


def fmt_date(value: date | None, lang: str, precision: str = "day") -> str:
    """A date in `lang`; a moment (aware datetime) is first taken to its day in Japan."""
    if value is None:
        return ""
    value = japan_date(value)
    if precision == "year":
        return f"{value.year}年" if lang == "ja" else str(value.year)
    if precision == "month":
        return f"{value.year}年{value.month}月" if lang == "ja" else format_date(value, "MMMM y", locale="en")
    return format_date(value, "long", locale="ja" if lang == "ja" else "en")


def fmt_time_jst(value: datetime | None, seconds: bool = False) -> str:
    """A moment in Japan time with the zone marked, the same in both languages:
    2026-12-02 15:04 JST (mamoru stores UTC; pages, mails and documents show Japan time).
    Every human-facing time goes through here; `seconds` for logs where order within a minute matters."""
    if value is None:
        return ""
    if value.tzinfo is None:
        raise ValueError("a naive datetime has no place in time; give it a time zone (mamoru stores UTC)")
    return f"{value.astimezone(JST):%Y-%m-%d %H:%M{':%S' if seconds else ''}} JST"


def lang_of(text: str) -> str:
    """The language of a text entered in one language only (a source citation, a name): "ja" when
    it holds more kana and kanji than Latin letters, else "en" ("Press figures citing NPA (児童買春事件等)"
    is English); pages mark it with lang= so it is read out in its language."""
    japanese = sum(1 for ch in text if "\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff")
    return "ja" if japanese * 2 >= sum(1 for ch in text if ch.isascii() and ch.isalpha()) and japanese else "en"


ERAS = ((2019, "令和", 2018), (1989, "平成", 1988), (1926, "昭和", 1925))


def era_year(year: int) -> str:
    """Japanese era form of a Gregorian year: 2023 -> 令和5年 (2019 -> 令和元年)."""
    for start, name, offset in ERAS:
        if year >= start:
            n = year - offset
            return f"{name}{'元' if n == 1 else n}年"
    return f"{year}年"


def fiscal_year_label(year: int, lang: str) -> str:
    """FY2023 / 令和5年度 (the Japanese fiscal year starts in April of `year`)."""
    if lang == "ja":
        return era_year(year)[:-1] + "年度"
    return fiscal_period_label(year)


def negotiate(accept_language: str | None, default: str) -> str:
    if not accept_language:
        return default
    for part in accept_language.split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LANGS:
            return tag
    return default
