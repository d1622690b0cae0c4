"""Put what the user typed back into a rendered form, so a form never loses its input.

Every staff page is rendered by its own template; rather than teach each template to take typed
values, the page is rendered as usual and then the form the user sent (the one whose `action` is
the path posted to and whose hidden fields match what was sent) gets the sent values: text inputs
their `value`, text areas their text, selects their `selected` option, checkboxes and radio buttons
their `checked`. Hidden inputs (the fresh CSRF token among them), passwords and files are never
touched. Messages (the problems, or a note that the input was kept) go just before that form.

Pure: text in, text out; no web or database imports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from html.parser import HTMLParser

NEVER = frozenset({"hidden", "password", "file", "submit", "button", "reset", "image"})
CHOICES = frozenset({"checkbox", "radio"})


def _attr(attrs: list[tuple[str, str | None]], name: str) -> str | None:
    return next((v for k, v in attrs if k == name), None)


def _tag(name: str, attrs: list[tuple[str, str | None]], closed: bool = False) -> str:
    parts = [name] + [k if v is None else f'{k}="{escape(v, quote=True)}"' for k, v in attrs]
    return "<" + " ".join(parts) + (" />" if closed else ">")


def _set(attrs: list[tuple[str, str | None]], name: str, value: str | None, on: bool = True) -> list[tuple[str, str | None]]:
    kept = [(k, v) for k, v in attrs if k != name]
    return kept + [(name, value)] if on else kept


class _FormFinder(HTMLParser):
    """First pass: which forms (by order) post to `action` with hidden fields matching the values."""

    def __init__(self, action: str, values: Mapping[str, Sequence[str]]) -> None:
        super().__init__(convert_charrefs=True)
        self.action, self.values = action, values
        self.forms: list[bool] = []
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "form":
            method = (_attr(attrs, "method") or "get").lower()
            self.forms.append(method == "post" and (_attr(attrs, "action") or "").split("#")[0] == self.action)
            self._inside = True
        elif tag == "input" and self._inside and self.forms and self.forms[-1]:
            name = _attr(attrs, "name")
            if (_attr(attrs, "type") or "").lower() == "hidden" and name and name != "csrf_token" \
                    and name in self.values and (_attr(attrs, "value") or "") not in self.values[name]:
                self.forms[-1] = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._inside = False


class _Refiller(HTMLParser):
    def __init__(self, chosen: list[bool], values: Mapping[str, Sequence[str]], notes_html: str) -> None:
        super().__init__(convert_charrefs=False)
        self.chosen, self.values, self.notes_html = chosen, values, notes_html
        self.out: list[str] = []
        self.form_index = -1
        self.active = False
        self.textarea: str | None = None  # name of the text area being replaced
        self.select: str | None = None
        self.noted = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, closed=False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, closed=True)

    def _start(self, tag: str, attrs: list[tuple[str, str | None]], closed: bool) -> None:
        raw = self.get_starttag_text() or _tag(tag, attrs, closed)
        if tag == "form":
            self.form_index += 1
            self.active = self.form_index < len(self.chosen) and self.chosen[self.form_index]
            if self.active and not self.noted:
                self.out.append(self.notes_html)
                self.noted = True
            self.out.append(raw)
            return
        if not self.active or self.textarea is not None:
            self.out.append(raw)
            return
        name = _attr(attrs, "name")
        if tag == "input" and name:
            kind = (_attr(attrs, "type") or "text").lower()
            if kind in NEVER:
                self.out.append(raw)
            elif kind in CHOICES:
                sent = self.values.get(name, ())
                self.out.append(_tag(tag, _set(attrs, "checked", None, (_attr(attrs, "value") or "on") in sent), closed))
            elif name in self.values:
                self.out.append(_tag(tag, _set(attrs, "value", self.values[name][0]), closed))
            else:
                self.out.append(raw)
        elif tag == "textarea" and name and name in self.values:
            self.out.append(raw + escape(self.values[name][0], quote=False))
            self.textarea = name
        elif tag == "select" and name and name in self.values:
            self.select = name
            self.out.append(raw)
        elif tag == "option" and self.select is not None:
            value = _attr(attrs, "value")
            self.out.append(_tag(tag, _set(attrs, "selected", None, value is not None and value in self.values[self.select]),
                                 closed))
        else:
            self.out.append(raw)

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self.textarea = None
        elif tag == "select":
            self.select = None
        elif tag == "form":
            self.active = False
        self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if self.textarea is None:
            self.out.append(data)

    def handle_entityref(self, name: str) -> None:
        if self.textarea is None:
            self.out.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        if self.textarea is None:
            self.out.append(f"&#{name};")

    def handle_comment(self, data: str) -> None:
        self.out.append(f"<!--{data}-->")

    def handle_decl(self, decl: str) -> None:
        self.out.append(f"<!{decl}>")

    def handle_pi(self, data: str) -> None:
        self.out.append(f"<?{data}>")

    def unknown_decl(self, data: str) -> None:
        self.out.append(f"<![{data}]>")


def notes(messages: Sequence[str], *, css: str = "error", role: str = "alert") -> str:
    """Messages as a list to put before the form (escaped)."""
    if not messages:
        return ""
    items = "".join(f"<li>{escape(m)}</li>" for m in messages)
    return f'<ul class="{escape(css)} refill-notes" role="{escape(role)}">{items}</ul>'


def refill(page: str, action: str, values: Mapping[str, Sequence[str]], notes_html: str = "") -> str:
    """`page` with the forms posting to `action` filled with `values` (name -> values sent, in
    order), and `notes_html` just before the first of them. A page without such a form comes back
    unchanged (no notes either: the caller shows them another way)."""
    finder = _FormFinder(action, values)
    finder.feed(page)
    finder.close()
    if not any(finder.forms):
        return page
    refiller = _Refiller(finder.forms, values, notes_html)
    refiller.feed(page)
    refiller.close()
    return "".join(refiller.out)
