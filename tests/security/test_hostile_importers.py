"""Property tests (Hypothesis) for the importers test_hostile_input.py does not cover.

The follow-up spreadsheet (read and import_rows), the hotline's partner CSV (parse_csv) and the
blocking-list subscriber's readers (Delta.from_bytes, HashedChecker.from_bytes, parse_json_snapshot).
Arbitrary or hostile input is either read or refused with the module's own error: InvalidInput with
a row and a field for the importers, ValueError with a reason for the subscriber's readers. Nothing
else escapes, a refused import writes nothing, and a valid generated file reads back as written.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mamoru.errors import InvalidInput

FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
DB = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
junk = st.one_of(st.binary(max_size=400), st.text(max_size=300).map(lambda s: s.encode("utf-8", "surrogatepass")))
text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
plain = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=30).map(str.strip)


def csv_of(header: list[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def refused_with_places(exc: BaseException) -> bool:
    """The importers' own refusal: InvalidInput, each problem with a field and a reason."""
    return (isinstance(exc, InvalidInput) and bool(exc.problems)
            and all(p.field and p.reason and (p.row is None or p.row >= 1) for p in exc.problems))


# -- the follow-up spreadsheet (mamoru.followup.spreadsheet) ----------------------------------

@FAST
@given(data=junk, fmt=st.sampled_from(["csv", "xlsx", "ods"]))
def test_followup_sheet_reader_refuses_junk_with_its_own_error(data: bytes, fmt: str) -> None:
    from mamoru.followup.spreadsheet import read

    try:
        rows = read(data, fmt)
    except Exception as exc:  # noqa: BLE001 - the property is about which exceptions escape
        assert refused_with_places(exc), f"{type(exc).__name__}: {exc!r}"
    else:
        assert all(isinstance(r, dict) and all(isinstance(v, str) for v in r.values()) for r in rows)


@FAST
@given(extra=st.lists(text, max_size=4), rows=st.lists(st.lists(text, max_size=9), max_size=5))
def test_followup_sheet_reader_on_csv_with_its_header(extra: list[str], rows: list[list[str]]) -> None:
    from mamoru.followup.spreadsheet import read

    header = ["entry_id", "version", "status", "narrative_ja", "narrative_en", "figures", "evidence", *extra]
    try:
        back = read(csv_of(header, rows).encode(), "csv")
    except Exception as exc:  # noqa: BLE001
        assert refused_with_places(exc), f"{type(exc).__name__}: {exc!r}"
    else:
        assert len(back) == len(rows)
        assert all("entry_id" in r and "narrative_en" in r for r in back)


@pytest.fixture
def open_round(loaded: Any, make_user: Any) -> Any:
    from mamoru.followup import rounds

    coordinator = make_user("coordinator")
    r = rounds.open_round(loaded, coordinator, [2024], date(2030, 1, 1))
    loaded.commit()
    return r, coordinator, loaded


sheet_cell = st.one_of(text, st.sampled_from(["", "1", "0", "-1", "9" * 30, "ongoing", "done", "a | b | c | d | e",
                                               "x|y", "http://example.test/ evidence", "=1+1"]))


@DB
@given(picks=st.lists(st.tuples(st.integers(0, 10**6), st.booleans(), st.lists(sheet_cell, min_size=6, max_size=6)),
                      max_size=4))
def test_followup_import_applies_all_or_refuses_with_row_and_column(open_round: Any,
                                                                    picks: list[tuple[int, bool, list[str]]]) -> None:
    from mamoru.followup.entries import round_entries
    from mamoru.followup.spreadsheet import export_rows, import_rows

    r, coordinator, session = open_round
    exported = export_rows(session, r)
    rows = []
    for index, real_key, cells in picks:
        row = dict(exported[index % len(exported)])
        if not real_key:
            row["entry_id"] = cells[5]
        row.update(zip(("version", "status", "narrative_ja", "narrative_en", "figures"), cells[:5], strict=True))
        rows.append(row)
    nested = session.begin_nested()
    try:
        before = {e.key: e.version for e in round_entries(session, r)}
        try:
            result = import_rows(session, r, rows, coordinator)
        except Exception as exc:  # noqa: BLE001
            assert refused_with_places(exc), f"{type(exc).__name__}: {exc!r}"
            assert all(p.row is not None and 2 <= p.row <= len(rows) + 1 for p in exc.problems), exc.problems
            session.expire_all()
            assert {e.key: e.version for e in round_entries(session, r)} == before  # nothing of it saved
        else:
            after = {e.key: e.version for e in round_entries(session, r)}
            assert {k for k in after if after[k] != before[k]} == set(result.changed)
    finally:
        nested.rollback()


@DB
@given(narratives=st.lists(st.tuples(plain, plain), min_size=1, max_size=3), fmt=st.sampled_from(["csv", "xlsx"]))
def test_followup_sheet_written_edited_and_read_back_is_applied_once(open_round: Any,
                                                                     narratives: list[tuple[str, str]],
                                                                     fmt: str) -> None:
    from mamoru.followup.spreadsheet import export_rows, import_rows, read, write

    r, coordinator, session = open_round
    nested = session.begin_nested()
    try:
        rows = export_rows(session, r)
        edited = [dict(row, narrative_ja=ja, narrative_en=en) for row, (ja, en) in zip(rows, narratives, strict=False)]
        back = read(write(edited, fmt), fmt)
        assert back == edited  # what was written reads back cell for cell
        result = import_rows(session, r, back, coordinator)
        after = {row["entry_id"]: row for row in export_rows(session, r)}
        for row in edited:
            assert (after[row["entry_id"]]["narrative_ja"], after[row["entry_id"]]["narrative_en"]) == (
                row["narrative_ja"], row["narrative_en"])
        assert import_rows(session, r, back, coordinator).changed == []  # the same sheet again changes nothing
        assert len(result.changed) == sum(1 for row, old in zip(edited, rows, strict=False)
                                          if (row["narrative_ja"], row["narrative_en"])
                                          != (old["narrative_ja"], old["narrative_en"]))
    finally:
        nested.rollback()


# -- the hotline's partner CSV (mamoru.hotline.intake.parse_csv) ------------------------------

@FAST
@given(body=st.one_of(text.map(lambda t: "url\n" + t), st.text(max_size=300),
                      st.lists(st.lists(text, max_size=5), max_size=5).map(
                          lambda rows: csv_of(["url", "content_type", "immediate_danger", "client_key"], rows))))
def test_partner_csv_is_read_or_refused_with_row_and_field(body: str) -> None:
    from mamoru.hotline.intake import ReportInput, parse_csv, validate

    try:
        reports = parse_csv(body)
    except Exception as exc:  # noqa: BLE001
        assert refused_with_places(exc), f"{type(exc).__name__}: {exc!r}"
        return
    assert all(isinstance(r, ReportInput) for r in reports)
    for n, report in enumerate(reports, start=1):
        _, problems = validate(report, n)  # every row is then checked without anything escaping either
        assert all(p.row == n and p.field and p.reason for p in problems)


partner_row = st.fixed_dictionaries({"url": plain, "content_type": st.sampled_from(["", *("image", "video", "text")]),
                                     "where_found": plain, "description": plain,
                                     "immediate_danger": st.booleans(), "client_key": plain})


@FAST
@given(rows=st.lists(partner_row, max_size=6), bom=st.booleans())
def test_partner_csv_reads_back_what_was_written(rows: list[dict[str, Any]], bom: bool) -> None:
    from mamoru.hotline.intake import parse_csv

    header = ["url", "content_type", "where_found", "description", "immediate_danger", "client_key"]
    body = csv_of(header, [[("1" if r[c] else "0") if c == "immediate_danger" else r[c] for c in header] for r in rows])
    back = parse_csv(("\ufeff" if bom else "") + body)
    expected = rows  # every row has its immediate_danger cell ("1" or "0"), so none is blank
    assert [(b.url, b.content_type, b.where_found, b.description, b.immediate_danger, b.client_key or "")
            for b in back] == [(r["url"], r["content_type"], r["where_found"], r["description"],
                                r["immediate_danger"], r["client_key"]) for r in expected]


# -- the blocking-list subscriber's readers (mamoru.blocklist) ------------------------------

json_value = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
                          lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                     max_size=3), max_leaves=12)
entry_like = st.one_of(json_value, st.fixed_dictionaries({"id": json_value, "kind": st.one_of(
    st.sampled_from(["url", "host", "domain"]), json_value), "value": json_value}))


def hostile_document(fmt: str, fields: list[str]) -> st.SearchStrategy[bytes]:
    """JSON with the right format tag, so the reader gets past its first check, and anything else."""
    values = st.one_of(json_value, st.lists(entry_like, max_size=3))
    return st.one_of(junk, json_value.map(lambda v: json.dumps(v).encode()),
                     st.fixed_dictionaries({"format": st.just(fmt)}, optional=dict.fromkeys(fields, values)).map(
                         lambda d: json.dumps(d).encode()))


def _reader_refuses_only_with_value_error(read: Any, data: bytes) -> Any:
    try:
        return read(data)
    except ValueError as exc:
        assert str(exc).strip()
        return None
    except Exception as exc:  # noqa: BLE001
        raise AssertionError(f"{type(exc).__name__}: {exc!r}") from exc


@FAST
@given(data=hostile_document("mamoru-blocklist/1", ["version", "count", "entries"]))
def test_json_snapshot_reader_refuses_with_value_error(data: bytes) -> None:
    from mamoru.blocklist.compiler import KINDS, parse_json_snapshot

    got = _reader_refuses_only_with_value_error(parse_json_snapshot, data)
    if got is not None:
        assert isinstance(got[0], int) and all(e.kind in KINDS and isinstance(e.id, int) for e in got[1])


@FAST
@given(data=hostile_document("mamoru-blocklist-delta/1", ["from_version", "to_version", "added", "removed"]))
def test_delta_reader_refuses_with_value_error(data: bytes) -> None:
    from mamoru.blocklist.delta import Delta

    got = _reader_refuses_only_with_value_error(Delta.from_bytes, data)
    if got is not None:
        assert all(isinstance(i, int) for i in got.removed) and all(isinstance(e.id, int) for e in got.added)


hashed_line = st.one_of(text, st.tuples(st.sampled_from(["u", "h", "d", "x", ""]), st.text("0123456789abcdefg", max_size=20),
                                        st.text("0123456789-", max_size=5)).map(" ".join),
                        st.sampled_from(["# version: 3", "# version: x", "# prefix-bytes: 0", "# prefix-bytes: 4",
                                         "# prefix-bytes: 99", "# prefix-bytes:"]))


@FAST
@given(data=st.one_of(junk, st.lists(hashed_line, max_size=6).map(
    lambda lines: "\n".join(["# mamoru-blocklist-hashed/1", *lines]).encode("utf-8", "surrogatepass"))))
def test_hashed_reader_refuses_with_value_error(data: bytes) -> None:
    from mamoru.blocklist.checker import HashedChecker

    got = _reader_refuses_only_with_value_error(HashedChecker.from_bytes, data)
    if got is not None:
        assert 1 <= got.prefix_bytes <= 32
        assert got.check("http://example.test/") is None or isinstance(got.check("http://example.test/"), int)


label = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=10)
dns_name = st.lists(label, min_size=2, max_size=4).map(".".join).filter(lambda n: not n.rsplit(".", 1)[1].isdigit())
listed = st.lists(st.tuples(st.sampled_from(["url", "host", "domain"]), dns_name, plain), max_size=8, unique_by=lambda t: t[1])


def _entries(items: list[tuple[str, str, str]]) -> list[Any]:
    from mamoru.blocklist.compiler import ListedEntry

    return [ListedEntry(i + 1, kind, f"http://{name}/p" if kind == "url" else name, category)
            for i, (kind, name, category) in enumerate(items)]


@FAST
@given(old=listed, new=listed, version=st.integers(0, 2**31 - 2))
def test_subscriber_files_read_back_as_written(old: list[tuple[str, str, str]], new: list[tuple[str, str, str]],
                                               version: int) -> None:
    from mamoru.blocklist.checker import Checker, HashedChecker
    from mamoru.blocklist.compiler import compile_hashed, compile_json, parse_json_snapshot
    from mamoru.blocklist.delta import Delta, apply_delta, make_delta

    before, after = _entries(old), _entries(new)
    assert parse_json_snapshot(compile_json(after, version).data) == (version, after)
    delta = make_delta(before, after, version, version + 1)
    assert Delta.from_bytes(delta.to_bytes()) == delta
    assert apply_delta(before, version, Delta.from_bytes(delta.to_bytes())) == (version + 1, after)
    hashed, plain_checker = HashedChecker.from_bytes(compile_hashed(after, version).data), Checker(after)
    assert hashed.version == version
    for e in after:
        url = e.value if e.kind == "url" else f"http://sub.{e.value}/x"
        assert hashed.check(url) == plain_checker.check(url)


@pytest.mark.parametrize(("read", "data", "reason"), [
    ("json", b"[]", "not a mamoru blocking list JSON snapshot"),
    ("json", b'{"format": "mamoru-blocklist/1", "version": 1, "entries": [{"id": 1, "kind": "ftp", "value": "x"}]}',
     "item 1: not an entry"),
    ("json", b'{"format": "mamoru-blocklist/1", "version": 1e400, "entries": []}', "not a whole number"),
    ("delta", b'{"format": "mamoru-blocklist-delta/1", "from_version": 1, "to_version": 2, "added": [], '
              b'"removed": null}', "removed is not a list"),
    ("delta", b"[" * 100_000, "nested too deeply"),
    ("hashed", b"# mamoru-blocklist-hashed/1\nz 00ff 3\n", "line 2: kind 'z'"),
    ("hashed", b"# mamoru-blocklist-hashed/1\n# prefix-bytes: 0\n", "line 2: a SHA-256 prefix"),
])
def test_subscriber_readers_name_the_reason(read: str, data: bytes, reason: str) -> None:
    """These answered KeyError, AttributeError, TypeError, OverflowError or RecursionError before."""
    from mamoru.blocklist.checker import HashedChecker
    from mamoru.blocklist.compiler import parse_json_snapshot
    from mamoru.blocklist.delta import Delta

    reader = {"json": parse_json_snapshot, "delta": Delta.from_bytes, "hashed": HashedChecker.from_bytes}[read]
    with pytest.raises(ValueError, match=reason.replace("(", r"\(")):
        reader(data)
