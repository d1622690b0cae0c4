"""Property tests (Hypothesis) for what mamoru parses from outside: importers, hash text, the RPZ writer.

Each parser either returns a result or raises a clear error (InvalidInput, or ValueError with a
message); nothing else escapes. Where a writer and a reader exist, reading what was written gives
the same thing back (idempotence). The URL canonicaliser has its own in tests/unit/test_urls.py.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mamoru.errors import InvalidInput

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
HEX = "0123456789abcdef"
junk = st.one_of(st.binary(max_size=400), st.text(max_size=300).map(lambda s: s.encode("utf-8", "surrogatepass")))
csvish = st.lists(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12), max_size=6),
                  max_size=6).map(lambda rows: "\n".join(",".join(r) for r in rows))


def clear(exc: BaseException) -> bool:
    return isinstance(exc, InvalidInput | ValueError) and bool(str(exc).strip())


# -- plan measure lists (mamoru.plan.io) -------------------------------------------------------

@FAST
@given(data=junk, fmt=st.sampled_from(["csv", "yaml", "xlsx"]))
def test_plan_reader_refuses_junk_clearly(data: bytes, fmt: str) -> None:
    from mamoru.plan.io import read_rows

    try:
        rows = read_rows(data, fmt)
    except Exception as exc:  # noqa: BLE001 - the property is about which exceptions escape
        assert clear(exc), f"{type(exc).__name__}: {exc!r}"
    else:
        assert all(isinstance(n, int) and isinstance(r, dict) for n, r in rows)


@FAST
@given(text=csvish)
def test_plan_reader_on_csv_with_the_right_header(text: str) -> None:
    from mamoru.plan.io import COLUMNS, read_rows

    data = (",".join(COLUMNS) + "\n" + text).encode()
    try:
        rows = read_rows(data, "csv")
    except Exception as exc:  # noqa: BLE001
        assert clear(exc), f"{type(exc).__name__}: {exc!r}"
    else:
        assert [n for n, _ in rows] == list(range(2, 2 + len(rows)))


cell = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=20)


@FAST
@given(rows=st.lists(st.fixed_dictionaries({}), min_size=0, max_size=4), values=st.lists(cell, min_size=40, max_size=40),
       fmt=st.sampled_from(["csv", "xlsx"]))
def test_plan_write_then_read_gives_the_rows_back(rows: list[dict[str, Any]], values: list[str], fmt: str) -> None:
    from mamoru.plan.io import COLUMNS, read_rows, write_rows

    table = [{c: values[(i * len(COLUMNS) + j) % len(values)].strip() for j, c in enumerate(COLUMNS)}
             for i in range(len(rows))]
    table = [r for r in table if any(r.values())]  # a wholly empty row is no row in a spreadsheet
    back = read_rows(write_rows(table, fmt), fmt)
    assert [{c: ("" if r.get(c) is None else str(r.get(c))) for c in COLUMNS} for _, r in back] == table


def test_plan_xlsx_export_keeps_text_that_looks_like_a_formula() -> None:
    from mamoru.plan.io import COLUMNS, read_rows, write_rows

    row = dict.fromkeys(COLUMNS, "x")
    row["title_en"] = '=HYPERLINK("http://example.test","x")'
    (_, back), = read_rows(write_rows([row], "xlsx"), "xlsx")
    assert back["title_en"] == row["title_en"]


# -- hash lists (mamoru.matching.banks) -----------------------------------------------------------

@FAST
@given(data=junk, fmt=st.sampled_from(["lines", "csv", "te", "vic", "xml"]),
       signal=st.sampled_from(["pdq", "md5", "sha1", "sha256", "photodna"]))
def test_bank_parser_refuses_junk_clearly(data: bytes, fmt: str, signal: str) -> None:
    from mamoru.matching.banks import parse_bank_file

    try:
        entries = parse_bank_file(data, fmt, signal)
    except Exception as exc:  # noqa: BLE001
        assert clear(exc), f"{type(exc).__name__}: {exc!r}"
    else:
        assert entries and all(re.fullmatch(r"[0-9a-f]+", e.hash) for e in entries)


@FAST
@given(hashes=st.lists(st.text(alphabet=HEX, min_size=64, max_size=64), min_size=1, max_size=20),
       fmt=st.sampled_from(["lines", "te", "csv"]))
def test_bank_export_then_import_is_idempotent(hashes: list[str], fmt: str) -> None:
    from datetime import UTC, datetime

    from mamoru.matching.banks import EntryOut, export_entries, parse_bank_file

    out = [EntryOut("pdq", h, "", None, None, datetime(2026, 1, 1, tzinfo=UTC), None, False) for h in hashes]
    once = parse_bank_file(export_entries(out, fmt).encode(), fmt, "pdq")
    assert [e.hash for e in once] == list(dict.fromkeys(hashes))
    again = [EntryOut(e.signal, e.hash, e.category, None, None, datetime(2026, 1, 1, tzinfo=UTC), None, False)
             for e in once]
    assert [e.hash for e in parse_bank_file(export_entries(again, fmt).encode(), fmt, "pdq")] == [e.hash for e in once]


@FAST
@given(text=st.text(max_size=80), signal=st.sampled_from(["pdq", "md5", "sha1", "sha256", "other"]))
def test_hash_text_is_normalised_or_refused_with_a_reason(text: str, signal: str) -> None:
    from mamoru.matching.banks import normalise_hash

    try:
        h = normalise_hash(signal, text)
    except ValueError as exc:
        assert str(exc)
    else:
        assert re.fullmatch(r"[0-9a-f]+", h) and normalise_hash(signal, h) == h


@pytest.mark.parametrize("text", ["0x" + "a" * 62, " " + "a" * 63, "a" * 63 + " ", "a" * 63 + "\n", "\u0661" * 64,
                                  "+" + "a" * 63, "-" + "a" * 63, "a_" * 32, "a" * 63, "a" * 65, "g" * 64, ""])
def test_is_pdq_hex_accepts_only_64_hex_digits(text: str) -> None:
    from mamoru.matching.hashing import is_pdq_hex

    assert not is_pdq_hex(text)
    assert is_pdq_hex("0123456789abcdef" * 4) and is_pdq_hex("0123456789ABCDEF" * 4)


def test_bank_csv_with_a_stray_carriage_return_is_refused_clearly() -> None:
    """A lone carriage return ends a line (as in the csv module's own reading); the bad line is named."""
    from mamoru.matching.banks import parse_bank_file

    with pytest.raises(InvalidInput, match=r"^row 3, hash: a md5 hash is 32 hex digits, not 'b'$"):
        parse_bank_file(b"hash\n" + b"a" * 32 + b"\rb\n", "csv", "md5")
    assert [e.hash for e in parse_bank_file(b"hash\r" + b"a" * 32 + b"\r" + b"b" * 32, "csv", "md5")] == ["a" * 32, "b" * 32]


def test_bank_csv_that_the_csv_module_cannot_read_is_refused_with_the_line() -> None:
    from mamoru.matching.banks import parse_bank_file

    with pytest.raises(InvalidInput, match=r"^row 3, csv: not readable as CSV .*field larger than field limit"):
        parse_bank_file(b"hash\n" + b"a" * 32 + b"\n" + b"x" * 200_000 + b"\n", "csv", "md5")


# -- IP ranges (mamoru.hotline.tracing) -------------------------------------------------------

@FAST
@given(text=st.one_of(csvish, csvish.map(lambda t: "cidr,network,country,asn\n" + t),
                      csvish.map(lambda t: "first,last,network,country\n" + t)))
def test_ip_range_import_refuses_junk_clearly_and_writes_nothing(session: Any, text: str) -> None:
    from sqlalchemy import func, select

    from mamoru.hotline.models import IpRange
    from mamoru.hotline.tracing import import_ip_ranges

    nested = session.begin_nested()
    try:
        before = session.scalar(select(func.count()).select_from(IpRange))
        try:
            n = import_ip_ranges(session, text, replace=False)
        except Exception as exc:  # noqa: BLE001
            assert clear(exc), f"{type(exc).__name__}: {exc!r}"
            assert session.scalar(select(func.count()).select_from(IpRange)) == before
        else:
            assert session.scalar(select(func.count()).select_from(IpRange)) == before + n
    finally:
        nested.rollback()


def test_ip_range_csv_with_a_stray_carriage_return_is_refused_clearly(session: Any) -> None:
    from sqlalchemy import func, select

    from mamoru.hotline.models import IpRange
    from mamoru.hotline.tracing import import_ip_ranges

    before = session.scalar(select(func.count()).select_from(IpRange))
    with pytest.raises(InvalidInput) as refused:
        import_ip_ranges(session, "cidr,network,country\n198.51.100.0/24,ok,JP\n192.0.2.0/24\rx,net,JP\n", replace=False)
    # a lone carriage return ends a line (as in the csv module's own reading): lines 3 and 4 are named
    assert clear(refused.value) and [p.row for p in refused.value.problems] == [3, 4], refused.value.problems
    assert session.scalar(select(func.count()).select_from(IpRange)) == before


# -- the RPZ writer (mamoru.blocklist.compiler) ---------------------------------------------------

label = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12)
name = st.lists(label, min_size=1, max_size=4).map(".".join)
entry = st.tuples(st.sampled_from(["url", "host", "domain"]), st.one_of(name, st.text(max_size=20)))


@FAST
@given(entries=st.lists(entry, max_size=15), version=st.integers(min_value=1, max_value=2**31 - 1))
def test_rpz_writer_lists_dns_names_only_and_is_deterministic(entries: list[tuple[str, str]], version: int) -> None:
    from mamoru.blocklist.compiler import ListedEntry, compile_rpz

    listed = [ListedEntry(i + 1, kind, f"http://{v}/x" if kind == "url" else v) for i, (kind, v) in enumerate(entries)]
    try:
        rpz = compile_rpz(listed, version)
    except ValueError as exc:
        assert str(exc) and any(e.kind != "url" for e in listed)
        return
    assert rpz.data == compile_rpz(listed, version).data
    lines = rpz.data.decode("ascii").splitlines()
    assert "@ IN SOA" in lines[3] and f" {version} " in lines[3]
    records = [ln for ln in lines if not ln.startswith((";", "$", "@"))]
    assert all(re.fullmatch(r"(\*\.)?[a-z0-9.-]+ CNAME \.", r) for r in records), records
    dns = [e for e in listed if e.kind != "url"]
    assert {r.split()[0] for r in records} == {e.value for e in dns} | {f"*.{e.value}" for e in dns if e.kind == "domain"}
