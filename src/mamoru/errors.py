"""Errors that services raise and every door (web, API, CLI) translates the same way."""

from __future__ import annotations

from dataclasses import dataclass


class DomainError(Exception):
    status = 400
    exit_code = 2


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

    def __str__(self) -> str:
        where = f"row {self.row}, " if self.row is not None else ""
        return f"{where}{self.field}: {self.reason}"


class InvalidInput(DomainError):
    status = 422
    exit_code = 2

    def __init__(self, problems: list[Problem] | str):
        if isinstance(problems, str):
            problems = [Problem(None, "input", problems)]
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems[:20]) + (
            f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""))
