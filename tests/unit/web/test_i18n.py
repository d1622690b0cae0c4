"""Every interface string has a Japanese translation; era years and fiscal years are right."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from babel.messages.pofile import read_po

import mamoru
from mamoru.errors import Conflict, InvalidInput, Problem, Term, Terms
from mamoru.i18n import LOCALE_DIR, catalogue, era_year, error_messages, fiscal_year_label, gettext

PACKAGE = Path(mamoru.__file__).parent  # web pages and the domains' documents (followup/templates)
DYNAMIC = ["lineage:unchanged", "lineage:revised", "lineage:split", "lineage:merged", "lineage:new", "draft", "in_force", "superseded", "origin:third-comprehensive", "origin:other", "origin:unknown",
           "wrong username or password", "too many failed attempts; wait 15 minutes",
           "report-status:received", "report-status:assessed", "report-status:acted_on"]


def msgids() -> set[str]:
    found: set[str] = set()
    for path in PACKAGE.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        found |= set(re.findall(r'_\(\s*"([^"]+)"\s*[,)]', text)) | set(re.findall(r"_\(\s*'([^']+)'", text))
        # _n("{n} entry", "{n} entries", count): Japanese reads the plural id, English both
        found |= {m for pair in re.findall(r'_n\(\s*"([^"]+)"\s*,\s*"([^"]+)"', text) for m in pair}
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


REFUSING = {"DomainError", "Conflict", "NotFound", "PermissionDenied", "InvalidInput", "BadValue"}
"""The errors whose message a page shows (BadValue: a parser's reason for a bad line, kept by
Problem.because)."""
TRANSLATED_PACKAGES = ["blocklist", "matching", "web/blocklist", "web/matching"]
"""The domains and doors whose refusals must read in Japanese on a page (issue 12; the hotline's are
checked in tests/unit/hotline/test_messages.py)."""


def refusal_templates(path: Path) -> list[tuple[int, ast.expr]]:
    """(line, message) of every refusal made in `path`: the first argument of an error above, the
    reason (third) of Problem(...) and Problem.of(...); a module-level name is read as its string."""
    tree = ast.parse(path.read_text())
    constants = {t.id: node.value for node in tree.body if isinstance(node, ast.Assign)
                 for t in node.targets if isinstance(t, ast.Name)}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else (
            f"{func.value.id}.{func.attr}" if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) else "")
        if name in REFUSING and node.args and not isinstance(node.args[0], ast.List | ast.ListComp):
            arg = node.args[0]
        elif name in ("Problem", "Problem.of") and len(node.args) >= 3:
            arg = node.args[2]
        else:
            continue
        if isinstance(arg, ast.Name) and arg.id in constants:
            arg = constants[arg.id]
        if isinstance(arg, ast.IfExp):  # "a" if x else "b": both
            found += [(node.lineno, arg.body), (node.lineno, arg.orelse)]
        else:
            found.append((node.lineno, arg))
    return found


def _translating(arg: ast.expr) -> bool:
    call = arg.value if isinstance(arg, ast.Subscript) else arg
    return isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and \
        call.func.id in ("error_messages", "reason_text", "gettext")


def test_every_refusal_of_the_blocklist_and_matching_is_a_translated_template() -> None:
    """No f-string (the catalogue could not find it), no message without Japanese: a refusal on the
    blocking-list and hash-matching pages reads in the reader's language."""
    ja = catalogue("ja")
    wrong = []
    for package in TRANSLATED_PACKAGES:
        for path in sorted((PACKAGE / package).glob("*.py")):
            rel = path.relative_to(PACKAGE)
            for line, arg in refusal_templates(path):
                if isinstance(arg, ast.Attribute) and arg.attr == "reason" or isinstance(arg, ast.Name):
                    continue  # another Problem's reason, a list of problems: checked where they are made
                if _translating(arg):
                    continue  # already in the reader's language
                if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                    wrong.append(f"{rel}:{line}: not a template (an f-string or an expression): {ast.unparse(arg)[:60]}")
                elif arg.value not in ja:
                    wrong.append(f"{rel}:{line}: no Japanese for {arg.value!r}")
                elif set(re.findall(r"{(\w+)", arg.value)) < set(re.findall(r"{(\w+)", ja[arg.value])):
                    wrong.append(f"{rel}:{line}: the Japanese names a value the message does not give")
    assert wrong == []


def test_a_refusal_with_several_terms_reads_each_in_the_readers_language() -> None:
    exc = InvalidInput([Problem.of(None, "criteria", "a domain is listed whole only when all four criteria hold; "
                                   "missing: {missing} ({texts}). List a URL or host instead.",
                                   missing=Terms([Term("purpose", "The site exists chiefly to spread the material"),
                                                  Term("confirmed", "At least one clearly abusive item was confirmed")]),
                                   texts="the site exists chiefly to spread the material; ...")])
    assert "missing: purpose, confirmed (the site" in str(exc)  # the API and the command line: the codes
    [ja] = error_messages("ja", exc)
    assert "サイトが主として当該記録の流布を目的としている、明らかな児童性的虐待記録が少なくとも1件確認された" in ja, ja
    assert "purpose" not in ja and "the site" not in ja
    assert error_messages("ja", Conflict("a bank named {name!r} exists already", name="b1")) == \
        ["「'b1'」という名前のハッシュバンクはすでにあります"]


def test_every_reason_the_url_parser_gives_is_a_translated_template() -> None:
    """mamoru.urls says why an address cannot be read (intake, removal checks, the blocking list):
    each reason a template with Japanese, so a Japanese page does not quote it in English."""
    ja = catalogue("ja")
    found = refusal_templates(PACKAGE / "urls.py")
    wrong = [f"urls.py:{line}: {ast.unparse(arg)[:60]}" for line, arg in found
             if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value in ja)]
    assert len(found) >= 15 and wrong == []


def test_every_field_a_refusal_names_has_an_english_name() -> None:
    """An English page said "legal_basis: an illegal verdict needs its legal basis": the keyed field
    name had Japanese only, so English fell back to the code."""
    ja, en = catalogue("ja"), catalogue("en")
    assert sorted(k for k in ja if k.startswith("field:") and k not in en) == []
    assert error_messages("en", InvalidInput([Problem(None, "legal_basis", "x")])) == ["Legal basis: x"]
