"""A staff form's round trip, written once: run the service call; when it refuses, roll back and show
the same page again with the problems and what the user typed; when it succeeds, commit and redirect.

    return forms.submit(session, lambda: meetings.add_decision(...),
                        done=lambda d: f"/followup/meetings/{m.id}#decisions",
                        again=lambda problems, status: _meeting_page(request, session, problems, status, typed))

The commit comes before the 303 so that the page the browser loads next sees the change (the
CommitBeforeResponse middleware would commit too, but only once the response starts).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from mamoru.errors import DomainError, InvalidInput, Problem

T = TypeVar("T")
Problems = list[Problem] | list[str]

REFUSALS: tuple[type[Exception], ...] = (DomainError, ValueError)
"""What a service raises for values it will not take (ValueError: a date or number that does not parse)."""


class Refusal(str):
    """A refusal's reason as a form shows it: the English text (what `str` gives, so pages that show it
    as it is read as before), carrying the error so a page can say it in the reader's language
    (templating's `problem_line`)."""

    error: DomainError

    def __new__(cls, error: DomainError) -> Refusal:
        made = super().__new__(cls, str(error))
        made.error = error
        return made


def problems_of(exc: Exception) -> Problems:
    """What a form shows when a service refuses its values: each bad field, or the refusal's reason."""
    if isinstance(exc, InvalidInput):
        return exc.problems
    return [Refusal(exc) if isinstance(exc, DomainError) else str(exc)]


def status_of(exc: Exception) -> int:
    """The refusal's status (403 not allowed, 404 gone, 409 conflict), 422 for values that do not parse."""
    return exc.status if isinstance(exc, DomainError) else 422


def submit(session: Session, action: Callable[[], T], *, done: str | Callable[[T], str],
           again: Callable[[Problems, int], Response],
           refusals: tuple[type[Exception], ...] = REFUSALS) -> Response:
    """Run `action`; on a refusal roll back and answer `again(problems, status)` (the page re-rendered
    with the user's input), else commit and redirect (303) to `done` (or `done(result)`). `refusals`:
    what the page answers itself (default every domain refusal); anything else goes to the error page."""
    try:
        result = action()
    except refusals as exc:
        session.rollback()
        return again(problems_of(exc), status_of(exc))
    session.commit()
    return RedirectResponse(done(result) if callable(done) else done, status_code=303)
