"""Is a URL blocked, and by which entry? Against the plaintext list or its hashed form.

The rules are the same as the published formats': URL entries match through the URL's lookup
expressions (Safe Browsing host-suffix x path-prefix), host entries match the exact host name, and
domain entries match every label suffix of the host name (the domain and all its subdomains).
When several entries match, the most specific wins: a URL entry before a host entry before a
domain entry; among URL entries the longest expression; among domains the longest name; then the
lowest id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from mamoru import urls
from mamoru.blocklist.compiler import DEFAULT_PREFIX_BYTES, HASHED_FORMAT, ListedEntry


def _domain_suffixes(host: str) -> list[str]:
    """The host and each shorter label suffix, longest first (just the host for an IPv6 literal)."""
    if host.startswith("["):
        return [host]
    labels = host.split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]


class Checker:
    """Lookup tables built once from the active entries."""

    def __init__(self, entries: Iterable[ListedEntry]):
        self.by_expression: dict[str, int] = {}
        self.hosts: dict[str, int] = {}
        self.domains: dict[str, int] = {}
        tables = {"url": self.by_expression, "host": self.hosts, "domain": self.domains}
        for e in entries:
            table = tables[e.kind]
            key = e.expression if e.kind == "url" else e.value
            old = table.get(key)
            if old is None or e.id < old:
                table[key] = e.id

    def check(self, url: str) -> int | None:
        """The id of the most specific entry blocking `url`, or None. ValueError for a bad URL."""
        parts = urls.parse(url)
        return self.check_parts(parts)

    def check_parts(self, parts: urls.CanonicalURL) -> int | None:
        if self.by_expression:
            best: tuple[int, int] | None = None
            for expr in urls.expressions_of(parts):
                hit = self.by_expression.get(expr)
                if hit is not None and (best is None or (-len(expr), hit) < best):
                    best = (-len(expr), hit)
            if best is not None:
                return best[1]
        hit = self.hosts.get(parts.host)
        if hit is not None:
            return hit
        if self.domains:
            for suffix in _domain_suffixes(parts.host):
                hit = self.domains.get(suffix)
                if hit is not None:
                    return hit
        return None


class HashedChecker:
    """The same check against the hashed form: hashes the URL's expressions, compares prefixes."""

    def __init__(self, by_expression: dict[bytes, int], hosts: dict[bytes, int], domains: dict[bytes, int],
                 prefix_bytes: int = DEFAULT_PREFIX_BYTES, version: int = 0):
        self.by_expression, self.hosts, self.domains = by_expression, hosts, domains
        self.prefix_bytes = prefix_bytes
        self.version = version

    @classmethod
    def from_bytes(cls, data: bytes) -> HashedChecker:
        """Read the hashed form back; ValueError naming the line for anything that is not it."""
        text = data.decode("ascii")
        if not text.startswith(f"# {HASHED_FORMAT}"):
            raise ValueError("not a mamoru hashed blocking list")
        tables: dict[str, dict[bytes, int]] = {"u": {}, "h": {}, "d": {}}
        prefix_bytes, version = DEFAULT_PREFIX_BYTES, 0
        for n, line in enumerate(text.splitlines(), start=1):
            try:
                if line.startswith("# prefix-bytes:"):
                    prefix_bytes = int(line.split(":", 1)[1])
                    if not 1 <= prefix_bytes <= 32:
                        raise ValueError("a SHA-256 prefix is 1 to 32 bytes")
                elif line.startswith("# version:"):
                    version = int(line.split(":", 1)[1])
                elif line and not line.startswith("#"):
                    kind, prefix, ident = line.split(" ")
                    if kind not in tables:
                        raise ValueError(f"kind {kind!r} is not u, h or d")
                    table, key, eid = tables[kind], bytes.fromhex(prefix), int(ident)
                    old = table.get(key)
                    if old is None or eid < old:
                        table[key] = eid
            except ValueError as exc:
                raise ValueError(f"line {n}: {exc}") from None
        return cls(tables["u"], tables["h"], tables["d"], prefix_bytes, version)

    def check(self, url: str) -> int | None:
        parts = urls.parse(url)
        sha, n = hashlib.sha256, self.prefix_bytes
        name_hashes: dict[str, bytes] = {}  # "name/" hashes, shared by the URL, host and domain steps
        if self.by_expression:
            table = self.by_expression
            best: tuple[int, int] | None = None
            # Canonical URLs are ASCII: concatenating encoded parts equals encoding the expression.
            paths = [p.encode("ascii") for p in urls.path_prefixes(parts.path, parts.query)]
            for host in urls.host_suffixes(parts.host):
                hb = host.encode("ascii")
                for path in paths:
                    digest = sha(hb + path).digest()[:n]
                    if path == b"/":
                        name_hashes[host] = digest
                    hit = table.get(digest)
                    if hit is not None:
                        key = (-len(hb) - len(path), hit)
                        best = key if best is None or key < best else best
            if best is not None:
                return best[1]

        def name_hash(name: str) -> bytes:
            digest = name_hashes.get(name)
            return digest if digest is not None else sha((name + "/").encode("utf-8")).digest()[:n]

        hit = self.hosts.get(name_hash(parts.host)) if self.hosts else None
        if hit is not None:
            return hit
        if self.domains:
            for suffix in _domain_suffixes(parts.host):
                hit = self.domains.get(name_hash(suffix))
                if hit is not None:
                    return hit
        return None
