"""Compile the active entries of one list version into the published formats.

Pure: a sequence of `ListedEntry` and a version number in, an `Artifact` (bytes and SHA-256) out.
The same input always gives the same bytes, so a digest identifies a snapshot.

DNS blocks whole names, so URL entries never go into the RPZ or the hosts file (that would block
every page of a shared host); they go only to CSV, JSON and the hashed form. A host entry is that
name only; a domain entry is the domain and every subdomain (an RPZ wildcard; a hosts file cannot
say that, so it lists the domain and the names known under it, and its header says so).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from mamoru.xlsx import csv_row

KINDS = ("url", "host", "domain")
FORMATS = ("rpz", "hosts", "csv", "json", "hashed")
CONTENT_TYPES = {"rpz": "text/dns", "hosts": "text/plain; charset=utf-8", "csv": "text/csv; charset=utf-8",
                 "json": "application/json", "hashed": "text/plain; charset=utf-8"}
FILE_NAMES = {"rpz": "blocklist.rpz", "hosts": "hosts", "csv": "blocklist.csv", "json": "blocklist.json",
              "hashed": "blocklist.hashed"}
JSON_FORMAT = "mamoru-blocklist/1"
HASHED_FORMAT = "mamoru-blocklist-hashed/1"
DEFAULT_PREFIX_BYTES = 8

_LABEL = r"(?!-)[a-z0-9_\-]{1,63}"
_DNS_NAME_RE = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\.(?![0-9]+$){_LABEL}")


@dataclass(frozen=True, slots=True)
class ListedEntry:
    """One active entry as subscribers see it: no reasons, no people, no case details."""

    id: int
    kind: str  # url | host | domain
    value: str  # canonical URL (url) or canonical host name (host, domain)
    category: str = ""

    @property
    def expression(self) -> str:
        """The lookup expression the entry is published under: host+path[+query], or `name/`."""
        if self.kind == "url":
            return self.value.split("://", 1)[1]
        return self.value + "/"


@dataclass(frozen=True)
class Artifact:
    format: str
    version: int
    data: bytes
    sha256: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sha256", hashlib.sha256(self.data).hexdigest())

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES.get(self.format, "application/octet-stream")


@dataclass(frozen=True)
class RpzOptions:
    splash: str | None = None  # CNAME target for a notice page; None means NXDOMAIN (CNAME .)
    soa_mname: str = "localhost."
    soa_rname: str = "hostmaster.localhost."
    ttl: int = 300


def is_dns_name(name: str) -> bool:
    """A name DNS can block: two or more LDH labels (underscore allowed), a top-level label that is
    not all digits (so not an IPv4 address), at most 253 characters."""
    return len(name) <= 253 and _DNS_NAME_RE.fullmatch(name) is not None


def _dns_entries(entries: Iterable[ListedEntry]) -> list[ListedEntry]:
    out = [e for e in entries if e.kind in ("host", "domain")]
    for e in out:
        if not is_dns_name(e.value):
            raise ValueError(f"entry {e.id}: {e.value!r} is not a DNS name and cannot go into a DNS format")
    return out


def compile_rpz(entries: Sequence[ListedEntry], version: int, options: RpzOptions | None = None) -> Artifact:
    o = options or RpzOptions()
    target = "." if not o.splash else o.splash.rstrip(".") + "."
    lines = [
        f"; mamoru blocking list, version {version}. DNS response policy zone (RPZ).",
        "; URL entries are not in this file: DNS can only block whole names.",
        f"$TTL {o.ttl}",
        f"@ IN SOA {o.soa_mname} {o.soa_rname} {version} 3600 600 604800 {o.ttl}",
        "@ IN NS localhost.",
    ]
    for e in _dns_entries(entries):
        lines.append(f"{e.value} CNAME {target}")
        if e.kind == "domain":
            lines.append(f"*.{e.value} CNAME {target}")
    return Artifact("rpz", version, ("\n".join(lines) + "\n").encode("ascii"))


def _names_under(domains: set[str], names: Iterable[str]) -> dict[str, list[str]]:
    """For each listed domain, the other listed names that fall under it (valid DNS names only)."""
    found: dict[str, list[str]] = {}
    for name in names:
        last = name.rfind(".")
        i = name.find(".")
        while 0 <= i < last:
            suffix = name[i + 1:]
            if suffix in domains and is_dns_name(name):
                found.setdefault(suffix, []).append(name)
            i = name.find(".", i + 1)
    return found


def _host_of(e: ListedEntry) -> str:
    if e.kind != "url":
        return e.value
    rest = e.value[e.value.index("://") + 3:]
    return rest[:rest.find("/")] if "/" in rest else rest


def compile_hosts(entries: Sequence[ListedEntry], version: int, sink: str = "0.0.0.0") -> Artifact:
    dns = _dns_entries(entries)
    domains = {e.value for e in dns if e.kind == "domain"}
    known = _names_under(domains, {_host_of(e) for e in entries}) if domains else {}
    lines = [
        f"# mamoru blocking list, version {version}. hosts file.",
        "# A domain entry blocks the domain and all its subdomains, but a hosts file cannot express",
        "# that: it lists the domain and the names known under it. Unknown subdomains are NOT",
        "# blocked by this file; use the RPZ for complete domain blocking. URL entries are not here.",
    ]
    seen: set[str] = set()
    for e in dns:
        under = sorted(known.get(e.value, ())) if e.kind == "domain" else []
        for name in [e.value, *under]:
            if name not in seen:
                seen.add(name)
                lines.append(f"{sink} {name}")
    return Artifact("hosts", version, ("\n".join(lines) + "\n").encode("ascii"))


def compile_csv(entries: Sequence[ListedEntry], version: int) -> Artifact:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["id", "kind", "value", "category", "version"])
    # no cell a spreadsheet program would run (mamoru.xlsx): a category is free text
    w.writerows(csv_row([e.id, e.kind, e.value, e.category, version]) for e in entries)
    return Artifact("csv", version, buf.getvalue().encode("utf-8"))


def entry_dicts(entries: Iterable[ListedEntry]) -> list[dict[str, object]]:
    return [{"id": e.id, "kind": e.kind, "value": e.value, "category": e.category} for e in entries]


def compile_json(entries: Sequence[ListedEntry], version: int) -> Artifact:
    doc = {"format": JSON_FORMAT, "version": version, "count": len(entries), "entries": entry_dicts(entries)}
    return Artifact("json", version, json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def read_document(data: bytes, fmt: str, what: str) -> dict[str, Any]:
    """The JSON object of a subscriber's file, or ValueError when it is not one of `fmt`."""
    try:
        doc = json.loads(data)
    except RecursionError:
        raise ValueError(f"not a {what}: nested too deeply") from None
    if not isinstance(doc, dict) or doc.get("format") != fmt:
        raise ValueError(f"not a {what}")
    return doc


def whole_number(value: object, what: str) -> int:
    """An id or version from a subscriber's file: an integer (or its digits), else ValueError."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{what} is not a whole number: {value!r:.40}")
    return int(value)


def listed_entries(items: object, what: str = "entries") -> list[ListedEntry]:
    """Entries as `entry_dicts` writes them, checked: ValueError names the first bad one."""
    if not isinstance(items, list):
        raise ValueError(f"{what} is not a list")
    out = []
    for n, d in enumerate(items, start=1):
        if not isinstance(d, dict) or d.get("kind") not in KINDS or not isinstance(d.get("value"), str):
            raise ValueError(f"{what}, item {n}: not an entry with an id, a kind ({', '.join(KINDS)}) and a value")
        out.append(ListedEntry(whole_number(d.get("id"), f"{what}, item {n}: the id"), d["kind"], d["value"],
                               str(d.get("category", ""))))
    return out


def parse_json_snapshot(data: bytes) -> tuple[int, list[ListedEntry]]:
    """Read a JSON snapshot back; ValueError (with a reason) for anything that is not one."""
    doc = read_document(data, JSON_FORMAT, "mamoru blocking list JSON snapshot")
    entries = listed_entries(doc.get("entries"))
    return whole_number(doc.get("version"), "the version"), entries


def hash_prefix(expression: str, prefix_bytes: int = DEFAULT_PREFIX_BYTES) -> bytes:
    return hashlib.sha256(expression.encode("utf-8")).digest()[:prefix_bytes]


def compile_hashed(entries: Sequence[ListedEntry], version: int,
                   prefix_bytes: int = DEFAULT_PREFIX_BYTES) -> Artifact:
    """Each entry as `kind-letter hex-prefix id`: SHA-256 prefixes of its lookup expression.

    This stops casual reading of the list; it does not stop a dictionary attack on guessable
    names (anyone can hash a candidate name and compare)."""
    sha = hashlib.sha256
    rows = sorted(f"{e.kind[0]} {sha(e.expression.encode('utf-8')).digest()[:prefix_bytes].hex()} {e.id}"
                  for e in entries)
    head = [f"# {HASHED_FORMAT}", f"# version: {version}", f"# prefix-bytes: {prefix_bytes}",
            "# u = URL expression, h = exact host name + '/', d = domain (and every subdomain) + '/'.",
            "# Hashing stops casual reading of the list, not a dictionary attack on guessable names."]
    return Artifact("hashed", version, ("\n".join(head + rows) + "\n").encode("ascii"))


def compile_format(fmt: str, entries: Sequence[ListedEntry], version: int,
                   rpz: RpzOptions | None = None) -> Artifact:
    if fmt == "rpz":
        return compile_rpz(entries, version, rpz)
    if fmt == "hosts":
        return compile_hosts(entries, version)
    if fmt == "csv":
        return compile_csv(entries, version)
    if fmt == "json":
        return compile_json(entries, version)
    if fmt == "hashed":
        return compile_hashed(entries, version)
    raise ValueError(f"unknown format {fmt!r}; choose {', '.join(FORMATS)}")


def compile_all(entries: Sequence[ListedEntry], version: int, rpz: RpzOptions | None = None) -> dict[str, Artifact]:
    return {fmt: compile_format(fmt, entries, version, rpz) for fmt in FORMATS}
