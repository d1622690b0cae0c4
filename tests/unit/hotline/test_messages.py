"""The refusals the hotline's services raise reach the analysts' pages in the reader's language
(issue 12): every message of the services behind the case, providers and labels pages is a template
(no f-string, so the catalogue can find it) with a Japanese translation, and no page or message
names a command-line flag."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import mamoru
from mamoru.errors import Conflict, InvalidInput, Problem, Term
from mamoru.i18n import catalogue, error_messages

PACKAGE = Path(mamoru.__file__).parent
PAGE_SERVICES = ["hotline/service.py", "hotline/notices.py", "hotline/triage.py", "hotline/to_banks.py", "hotline/to_blocklist.py",
                 "hotline/labels.py", "hotline/addresses.py", "blocklist/from_cases.py"]
ERRORS = {"Conflict", "NotFound", "PermissionDenied", "InvalidInput"}
FLAG = re.compile(r"(?<![\w-])--[a-z][\w-]*")  # --as, --format; not the xn-- of a domain


def _messages(path: Path) -> list[tuple[int, ast.expr]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else (
            f"{node.func.value.id}.{node.func.attr}" if isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name) else "")
        if name in ERRORS and node.args and not isinstance(node.args[0], ast.List | ast.Name):
            found.append((node.lineno, node.args[0]))
        elif name in ("Problem", "Problem.of") and len(node.args) >= 3:
            found.append((node.lineno, node.args[2]))
    for node in ast.walk(ast.parse(path.read_text())):  # the reasons address_problem returns
        if path.name == "addresses.py" and isinstance(node, ast.Return) and node.value is not None \
                and not (isinstance(node.value, ast.Constant) and node.value.value is None):
            found.append((node.lineno, node.value))
    return found


def test_every_message_shown_on_a_hotline_page_is_a_translated_template() -> None:
    ja = catalogue("ja")
    wrong = []
    for rel in PAGE_SERVICES:
        for line, arg in _messages(PACKAGE / rel):
            if isinstance(arg, ast.Name):
                continue  # a variable: the message it holds is checked where it is made
            if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                wrong.append(f"{rel}:{line}: not a template (an f-string or an expression)")
            elif arg.value not in ja:
                wrong.append(f"{rel}:{line}: no Japanese for {arg.value!r}")
            elif FLAG.search(arg.value) or FLAG.search(ja[arg.value]):
                wrong.append(f"{rel}:{line}: names a command-line flag: {arg.value!r}")
    assert wrong == []


def test_no_page_names_a_command_line_flag() -> None:
    flags = []
    for path in (PACKAGE / "web" / "templates").rglob("*.html"):
        text = re.sub(r"<!--.*?-->|\{#.*?#\}", "", path.read_text(), flags=re.S)
        flags += [f"{path.name}: {m}" for m in FLAG.findall(text)]
    assert flags == []


def test_a_refusal_reads_in_the_readers_language_and_its_values_stay() -> None:
    exc = Conflict("a case that is {status} cannot take the step {step}",
                   status=Term("queued", "Waiting for assessment"), step=Term("refer", "Referred to the police"))
    assert str(exc) == "a case that is queued cannot take the step refer"  # the API and the command line
    assert error_messages("ja", exc) == ["状態が「判定待ち」の事案では、この操作（警察へ情報提供）はできません"]
    assert error_messages("en", exc) == ["A case in the status “Waiting for assessment” cannot take this step "
                                         "(Referred to the police)."]
    bad = InvalidInput([Problem.of(3, "legal_basis", "not one of the plan's definitions: {code!r}", code="x-1"),
                        Problem(None, "value", "a pdq hash is 64 hex digits")])
    assert str(bad) == "row 3, legal_basis: not one of the plan's definitions: 'x-1'; value: a pdq hash is 64 hex digits"
    assert error_messages("ja", bad)[0] == "3 行目, 法的根拠: 計画の定義にありません: 'x-1'"
