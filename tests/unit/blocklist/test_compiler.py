"""The published formats: what goes where, and what a reader of each file can rely on."""

from __future__ import annotations

import csv
import io
import json

import pytest

from mamoru.blocklist.compiler import (
    FORMATS,
    ListedEntry,
    RpzOptions,
    compile_all,
    compile_hosts,
    compile_rpz,
    is_dns_name,
    parse_json_snapshot,
)

ENTRIES = [
    ListedEntry(1, "domain", "evil.example", "csam"),
    ListedEntry(2, "host", "files.shared.example", "csam"),
    ListedEntry(3, "url", "http://shared.example/u/bad/", "csam"),
    ListedEntry(4, "url", "http://img.evil.example/1.jpg", "csam"),
    ListedEntry(5, "host", "cdn.evil.example", "ads, \"quoted\""),
]


def test_rpz_has_soa_serial_ns_wildcards_and_no_url_entries() -> None:
    text = compile_rpz(ENTRIES, 42).data.decode()
    lines = text.splitlines()
    soa = next(line for line in lines if " SOA " in line)
    assert soa.split()[5] == "42"  # serial = list version
    assert any(" NS " in line for line in lines)
    assert "evil.example CNAME ." in lines and "*.evil.example CNAME ." in lines
    assert "files.shared.example CNAME ." in lines and "*.files.shared.example CNAME ." not in lines
    assert "shared.example CNAME ." not in lines  # the URL entry's host is not blocked whole
    assert "img.evil.example" not in text


def test_rpz_splash() -> None:
    text = compile_rpz(ENTRIES, 1, RpzOptions(splash="notice.mamoru.example")).data.decode()
    assert "*.evil.example CNAME notice.mamoru.example." in text.splitlines()


def test_hosts_lists_domain_and_known_names_and_says_it_cannot_cover_the_rest() -> None:
    text = compile_hosts(ENTRIES, 3).data.decode()
    names = [line.split()[1] for line in text.splitlines() if line and not line.startswith("#")]
    assert names == ["evil.example", "cdn.evil.example", "img.evil.example", "files.shared.example"]
    header = " ".join(line for line in text.splitlines() if line.startswith("#"))
    assert "NOT" in header and "subdomains" in header
    assert "shared.example" not in names


def test_csv_and_json_hold_every_entry() -> None:
    arts = compile_all(ENTRIES, 9)
    assert set(arts) == set(FORMATS)
    rows = list(csv.DictReader(io.StringIO(arts["csv"].data.decode())))
    assert [(int(r["id"]), r["kind"], r["value"], r["category"]) for r in rows] == \
        [(e.id, e.kind, e.value, e.category) for e in ENTRIES]
    assert parse_json_snapshot(arts["json"].data) == (9, ENTRIES)
    assert json.loads(arts["json"].data)["count"] == 5


def test_hashed_form_does_not_hold_readable_names() -> None:
    data = compile_all(ENTRIES, 9)["hashed"].data.decode()
    body = "\n".join(line for line in data.splitlines() if not line.startswith("#"))
    assert "evil" not in body and "shared" not in body
    assert len(body.splitlines()) == len(ENTRIES)


def test_same_input_same_digest() -> None:
    a, b = compile_all(ENTRIES, 9), compile_all(list(ENTRIES), 9)
    assert {k: v.sha256 for k, v in a.items()} == {k: v.sha256 for k, v in b.items()}
    assert compile_all(ENTRIES, 10)["rpz"].sha256 != a["rpz"].sha256


def test_dns_formats_refuse_names_dns_cannot_hold() -> None:
    assert not is_dns_name("1.2.3.4") and not is_dns_name("com") and not is_dns_name("%20x.com")
    with pytest.raises(ValueError):
        compile_rpz([ListedEntry(1, "host", "10.0.0.1")], 1)
