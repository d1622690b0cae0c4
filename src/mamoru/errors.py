"""Errors that services raise and every door (web, API, CLI) translates the same way.

A message is English text, which the API and the command line show. A service that wants its
message shown translated on a page raises it as a template with its values
(`Conflict("case {case}: nothing to confirm", case=number)`): `str()` gives the English, and
`mamoru.i18n.error_messages` looks the template up in the catalogue of the reader's language. A value
that is itself a word to translate (a status, a step) is passed as a `Term`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


class Term(str):
    """A value of a message that is a word to translate (a status, a step): the code itself in the
    English text of `str()` (what the API and the command line show), its label `msgid` translated
    on a page, where a plain value (a case number, a URL) is shown as it is."""

    msgid: str

    def __new__(cls, code: str, msgid: str | None = None) -> Term:
        term = super().__new__(cls, code)
        term.msgid = msgid or code
        return term


class Terms(str):
    """Several `Term`s as one value ("purpose, confirmed" in the English text): each translated and
    joined in the reader's language on a page."""

    terms: tuple[Term, ...]

    def __new__(cls, terms: Iterable[Term]) -> Terms:
        given = tuple(terms)
        made = super().__new__(cls, ", ".join(given))
        made.terms = given
        return made


class Phrase(str):
    """A value of a message that is itself a message with values (why an address is refused, in
    "not a usable address: {detail}"): its English text in `str()` (the API and the command line),
    its template translated with its values on a page."""

    template: str
    params: Mapping[str, object]

    def __new__(cls, template: str, /, **params: object) -> Phrase:
        made = super().__new__(cls, template.format(**params) if params else template)
        made.template, made.params = template, params
        return made


class DomainError(Exception):
    status = 400
    exit_code = 2

    def __init__(self, message: str = "", /, **params: object) -> None:
        self.template = message
        self.params: Mapping[str, object] = params
        super().__init__(message.format(**params) if params else message)


class NotFound(DomainError):
    status = 404
    exit_code = 2


class PermissionDenied(DomainError):
    status = 403
    exit_code = 1


class Conflict(DomainError):
    status = 409
    exit_code = 1


@dataclass(frozen=True)
class Problem:
    """One bad value in an input file or form: where it is and why it is refused."""

    row: int | None
    field: str
    reason: str
    template: str | None = dataclasses.field(default=None, compare=False)
    """The reason as a message id with {placeholders} for `params`, when it has values; `reason` is
    then the English text with them filled in (`Problem.of` builds both)."""
    params: Mapping[str, object] | None = dataclasses.field(default=None, compare=False, hash=False)

    @classmethod
    def of(cls, row: int | None, name: str, template: str, **params: object) -> Problem:
        return cls(row, name, template.format(**params), template, params)

    @classmethod
    def because(cls, row: int | None, name: str, exc: ValueError) -> Problem:
        """The problem a parser's ValueError names: its template when it is a `BadValue`."""
        if isinstance(exc, BadValue):
            return cls.of(row, name, exc.template, **exc.params) if exc.params else cls(row, name, exc.template)
        return cls(row, name, str(exc))

    def __str__(self) -> str:
        where = f"row {self.row}, " if self.row is not None else ""
        return f"{where}{self.field}: {self.reason}"


class BadValue(ValueError):
    """A ValueError of a parser whose reason is shown to a person (a bad line of an imported file):
    a template with its values, as a DomainError's, which `Problem.because` keeps."""

    def __init__(self, message: str, /, **params: object) -> None:
        self.template = message
        self.params: Mapping[str, object] = params
        super().__init__(message.format(**params) if params else message)

    def phrase(self) -> Phrase:
        """The reason as a value of another message, translated with it on a page."""
        return Phrase(self.template, **self.params)


class InvalidInput(DomainError):
    status = 422
    exit_code = 2

    def __init__(self, problems: list[Problem] | str, /, **params: object) -> None:
        if isinstance(problems, str):
            problems = [Problem.of(None, "input", problems, **params) if params else Problem(None, "input", problems)]
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems[:20]) + (
            f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""))
