"""Every kind of audit event mamoru writes has words in Japanese and English, and so has every field
its detail names (the audit page, web/auth/trail.py).

The kinds are read from the source: every `audit.record(...)` and `audit.record_read(...)` in
src/mamoru, its action a string, a conditional of strings, an f-string or a name assigned so in the
function. A placeholder in an f-string is expanded to its values: a parameter of the enclosing
function takes its default and every string passed to it by that keyword anywhere in the package;
the hotline's case events take every step of the workflow's transition table. An action this test
cannot read fails it, naming the line, so a new kind of event never goes unnoticed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import mamoru
from mamoru.hotline import workflow
from mamoru.i18n import catalogue
from mamoru.web.auth import trail

PACKAGE = Path(mamoru.__file__).parent
CASE_STEPS = frozenset(step for _, step in workflow.TRANSITIONS)
"""hotline.service._move writes `hotline:case:{event}` for every step of the transition table."""


def _modules() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" not in path.parts:
            yield path, ast.parse(path.read_text(encoding="utf-8"))


@cache
def keyword_values() -> dict[str, frozenset[str]]:
    """Every string passed by keyword, by the keyword's name, anywhere in the package."""
    found: dict[str, set[str]] = {}
    for _, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                for kw in node.keywords:
                    if kw.arg and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                        found.setdefault(kw.arg, set()).add(kw.value.value)
    return {k: frozenset(v) for k, v in found.items()}


def _defaults(func: ast.FunctionDef) -> dict[str, str]:
    args = func.args
    positional = args.posonlyargs + args.args
    pairs = list(zip(positional[len(positional) - len(args.defaults):], args.defaults, strict=True)) + [
        (a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None]
    return {a.arg: d.value for a, d in pairs if isinstance(d, ast.Constant) and isinstance(d.value, str)}


def _placeholder_values(value: ast.expr, func: ast.FunctionDef | None, where: str) -> set[str]:
    if isinstance(value, ast.Constant):
        return {str(value.value)}
    if isinstance(value, ast.IfExp):
        return _placeholder_values(value.body, func, where) | _placeholder_values(value.orelse, func, where)
    if isinstance(value, ast.Name) and func is not None:
        if func.name == "_move" and value.id == "event":
            return set(CASE_STEPS)
        names = {a.arg for a in func.args.posonlyargs + func.args.args + func.args.kwonlyargs}
        if value.id in names:
            found = set(keyword_values().get(value.id, ()))
            default = _defaults(func).get(value.id)
            found |= {default} if default is not None else set()
            if found:
                return found
    raise AssertionError(f"{where}: cannot tell which values {ast.unparse(value)} takes in an audit action")


def _assigned(name: str, func: ast.FunctionDef, where: str) -> list[ast.expr]:
    """The expressions `name` is assigned in `func` (alone or as an element of a tuple)."""
    out: list[ast.expr] = []
    for node in ast.walk(func):
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            if isinstance(target, ast.Name) and target.id == name:
                out.append(node.value)
            elif isinstance(target, ast.Tuple):
                index = next((i for i, t in enumerate(target.elts) if isinstance(t, ast.Name) and t.id == name), None)
                if index is not None:
                    out += [_element(v, index, where) for v in _branches(node.value)]
    return out


def _branches(value: ast.expr) -> list[ast.expr]:
    return _branches(value.body) + _branches(value.orelse) if isinstance(value, ast.IfExp) else [value]


def _element(value: ast.expr, index: int, where: str) -> ast.expr:
    assert isinstance(value, ast.Tuple), f"{where}: an audit action assigned from {ast.unparse(value)}"
    return value.elts[index]


def actions(node: ast.expr, func: ast.FunctionDef | None, where: str) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return actions(node.body, func, where) | actions(node.orelse, func, where)
    if isinstance(node, ast.JoinedStr):
        done = {""}
        for part in node.values:
            if isinstance(part, ast.Constant):
                done = {d + str(part.value) for d in done}
            else:
                assert isinstance(part, ast.FormattedValue)
                done = {d + v for d in done for v in _placeholder_values(part.value, func, where)}
        return done
    if isinstance(node, ast.Name) and func is not None:
        found = set()
        for value in _assigned(node.id, func, where):
            found |= actions(value, func, where)
        if found:
            return found
    raise AssertionError(f"{where}: cannot tell which audit action {ast.unparse(node)} writes")


def _calls(tree: ast.Module) -> Iterator[tuple[ast.Call, ast.FunctionDef | None]]:
    def visit(node: ast.AST, func: ast.FunctionDef | None) -> Iterator[tuple[ast.Call, ast.FunctionDef | None]]:
        for child in ast.iter_child_nodes(node):
            inner = child if isinstance(child, ast.FunctionDef) else func
            if isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute) and \
                    isinstance(child.func.value, ast.Name) and child.func.value.id == "audit" and \
                    child.func.attr in ("record", "record_read"):
                yield child, inner
            yield from visit(child, inner)
    yield from visit(tree, None)


@cache
def written() -> tuple[dict[str, str], dict[str, str]]:
    """(every kind written -> where, every detail field given literally -> where)."""
    kinds: dict[str, str] = {}
    fields: dict[str, str] = {}
    for path, tree in _modules():
        if path.name == "audit.py" and path.parent == PACKAGE:
            continue
        for call, func in _calls(tree):
            where = f"{path.relative_to(PACKAGE)}:{call.lineno}"
            read = call.func.attr == "record_read"  # type: ignore[attr-defined]
            for kind in actions(call.args[2], func, where):
                kinds.setdefault(f"read:{kind}" if read and not kind.startswith("read:") else kind, where)
            detail = call.args[4] if len(call.args) > 4 else None
            if isinstance(detail, ast.Dict):
                for key in detail.keys:
                    if isinstance(key, ast.Constant):
                        fields.setdefault(str(key.value), where)
    return kinds, fields


def test_the_source_is_read_whole() -> None:
    kinds, fields = written()
    # Kinds of each shape the reader understands, to show it has not gone blind to one.
    for kind in ("user:create", "hotline:case:hold", "hotline:case:release", "hotline:case:refer",
                 "match:bank:import", "match:bank:hotline", "blocklist:entry:content-removed",
                 "followup:decision:withdraw", "followup:meeting:correct", "read:hotline:case"):
        assert kind in kinds, kind
    assert len(kinds) > 90 and {"reason", "changes", "version"} <= set(fields)


def test_every_kind_of_audit_event_has_words_in_both_languages() -> None:
    kinds, _ = written()
    missing = {lang: sorted(f"{k} ({where})" for k, where in kinds.items() if f"audit:{k}" not in catalogue(lang))
               for lang in ("ja", "en")}
    assert missing == {"ja": [], "en": []}


def test_every_field_of_a_detail_has_words_in_both_languages() -> None:
    _, fields = written()
    missing = sorted(f"{f} ({where})" for f, where in fields.items() if f not in trail.FIELDS)
    assert missing == [], "add these to trail.FIELDS"
    untranslated = sorted(trail.FIELDS[f] for f in fields if trail.FIELDS[f] not in catalogue("ja"))
    assert untranslated == []


def test_a_detail_reads_as_fields_and_values() -> None:
    pairs = trail.detail_pairs("ja", {"reason": "site gone", "version": 7, "sha256": {"rpz": "ab", "csv": "cd"},
                                      "changes": {"role": ["analyst", "senior_analyst"]}, "hold": True,
                                      "previous": None})
    assert ("役割", "ホットライン分析担当 → 上級分析担当") in pairs and ("理由", "site gone") in pairs
    assert ("版", "7") in pairs and ("保留", "はい") in pairs and ("前回", "—") in pairs
    assert ("SHA-256 (rpz)", "ab") in pairs and ("SHA-256 (csv)", "cd") in pairs
    assert trail.detail_pairs("en", {"hold": False, "unknown_key": "x"}) == [("Hold", "no"), ("unknown_key", "x")]
    # an account's language by its own name, not its code
    assert trail.detail_pairs("ja", {"changes": {"preferred_lang": ["ja", "en"]}}) == [("言語", "日本語 → English")]
