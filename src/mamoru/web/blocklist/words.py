"""An entry's category and reasons in the reader's language.

The list keeps categories as codes (`csam`, what the RPZ and the feed carry) and the reasons mamoru
writes itself as English text (`hotline case C0000042: csam`, `content verified as removed by the
hotline`: what the API, the command line and the audit log show). Shown as stored, a Japanese page
mixed both languages. The reasons mamoru writes are recognised here and said again through the
catalogue; a reason a person typed is shown as typed.
"""

from __future__ import annotations

import re

from mamoru.i18n import gettext

CATEGORIES = {
    "csam": "Child sexual abuse material",
    "solicitation": "Solicitation of child prostitution, or advertising children as sexual objects",
}
"""The categories mamoru gives an entry (blocklist.service.DEFAULT_CATEGORY, the hotline's adapter),
by their words in the catalogue."""

WRITTEN = (  # the reasons blocklist.service and blocklist.from_cases write, by their catalogue template
    (re.compile(r"hotline case (?P<case>\S+): (?P<category>\S+)"), "Hotline case {case}, assessed as: {category}"),
    (re.compile(r"content verified as removed by the hotline"), "The hotline verified the content as removed"),
    (re.compile(r"review date (?P<day>\S+) passed without re-verification"),
     "The review date {day} passed without re-verification"),
    (re.compile(r"appeal (?P<appeal>\d+) upheld: (?P<reason>.*)", re.DOTALL), "Appeal {appeal} upheld: {reason}"),
)


def category(lang: str, code: str) -> str:
    """A category's label; one typed on the proposal form is its own label."""
    return gettext(lang, CATEGORIES[code]) if code in CATEGORIES else code


def reason(lang: str, text: str) -> str:
    """A stored reason in `lang` when mamoru wrote it, else as it was typed."""
    for pattern, template in WRITTEN:
        m = pattern.fullmatch(text.strip())
        if m:
            values = m.groupdict()
            if "category" in values:
                values["category"] = category(lang, values["category"])
            return gettext(lang, template, **values)
    return text
