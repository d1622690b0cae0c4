"""Documents mamoru writes outside a web page (the follow-up report, letters): Jinja2 templates kept
in the folder of the domain that owns them, rendered with the language helpers of mamoru.i18n.

Web pages have their own environment (mamoru.web.templating); a domain renders its documents here,
so that no domain imports the web layer.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from mamoru.i18n import fmt_date, fmt_time_jst, gettext, join_list, ngettext, pick


@cache
def environment(folder: Path) -> jinja2.Environment:
    """One environment per template folder; HTML and XML templates are escaped."""
    return jinja2.Environment(loader=jinja2.FileSystemLoader(folder),
                              autoescape=jinja2.select_autoescape(["html", "xml"]),
                              keep_trailing_newline=True)


def render(folder: Path, name: str, lang: str, **context: Any) -> str:
    """Render `name` from `folder` in `lang`, with `_`, `pick`, `join_names` and `fmt_date` bound to that language
    (and `fmt_time`: a moment in Japan time, marked JST)."""
    helpers: dict[str, Any] = {
        "lang": lang,
        "_": lambda msgid, **kw: gettext(lang, msgid, **kw),
        "_n": lambda singular, plural, count, **kw: ngettext(lang, singular, plural, count, **kw),
        "pick": lambda obj, f: pick(obj, f, lang),
        "join_names": lambda objs, field="name": join_list(lang, (pick(o, field, lang) for o in objs)),
        "fmt_date": lambda d, precision="day": fmt_date(d, lang, precision),
        "fmt_time": fmt_time_jst,
    }
    return environment(folder).get_template(name).render(**helpers, **context)
