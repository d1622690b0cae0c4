"""The compiled checker (plaintext and hashed) against a plain, obviously right oracle on random data."""

from __future__ import annotations

import random

from mamoru import urls
from mamoru.blocklist.checker import Checker, HashedChecker
from mamoru.blocklist.compiler import ListedEntry, compile_hashed

LABELS = ["a", "b", "evil", "www", "cdn", "x1"]
TLDS = ["com", "jp", "net"]
DIRS = ["p", "q", "img", "x"]
RANK = {"url": 0, "host": 1, "domain": 2}


def _host(rng: random.Random) -> str:
    return ".".join([rng.choice(LABELS) for _ in range(rng.randint(0, 5))] + [rng.choice(LABELS), rng.choice(TLDS)])


def _path(rng: random.Random) -> str:
    dirs = [rng.choice(DIRS) for _ in range(rng.randint(0, 5))]
    leaf = rng.choice(["", "index.html", "1.jpg"])
    return "/" + "".join(d + "/" for d in dirs) + leaf + rng.choice(["", "", "?id=1", "?"])


def _url(rng: random.Random) -> str:
    return f"{rng.choice(['http', 'https'])}://{_host(rng)}{_path(rng)}"


def random_entries(rng: random.Random, n: int) -> list[ListedEntry]:
    out = []
    for i in range(1, n + 1):
        kind = rng.choice(["url", "url", "host", "domain"])
        value = urls.canonicalize(_url(rng)) if kind == "url" else _host(rng)
        out.append(ListedEntry(i, kind, value, "csam"))
    return out


def plain_expressions(url: str) -> set[str]:
    """Written out from the specification's wording, independently of mamoru.urls."""
    p = urls.parse_full(url)
    labels = p.host.split(".")
    hosts = {p.host} | {".".join(labels[-k:]) for k in range(2, min(5, len(labels)) + 1)}
    paths = {p.path, "/"}
    if p.query is not None:
        paths.add(p.path + "?" + p.query)
    parts = p.path.split("/")[1:-1]
    for k in range(1, min(3, len(parts)) + 1):
        paths.add("/" + "/".join(parts[:k]) + "/")
    return {h + q for h in hosts for q in paths}


def oracle(entries: list[ListedEntry], url: str) -> int | None:
    exprs = plain_expressions(url)
    host = urls.parse_full(url).host
    hits = []
    for e in entries:
        if e.kind == "url" and e.expression in exprs:
            hits.append((RANK["url"], -len(e.expression), e.id))
        elif e.kind == "host" and e.value == host:
            hits.append((RANK["host"], 0, e.id))
        elif e.kind == "domain" and (host == e.value or host.endswith("." + e.value)):
            hits.append((RANK["domain"], -len(e.value), e.id))
    return min(hits)[2] if hits else None


def test_checker_and_hashed_form_agree_with_oracle_on_seeded_random_data() -> None:
    rng = random.Random(6)
    entries = random_entries(rng, 400)
    checker = Checker(entries)
    hashed = HashedChecker.from_bytes(compile_hashed(entries, 7).data)
    assert hashed.version == 7
    blocked = 0
    for _ in range(3000):
        u = _url(rng) if rng.random() < 0.7 else rng.choice([e.value for e in entries if e.kind == "url"])
        expected = oracle(entries, u)
        assert checker.check(u) == expected, u
        assert hashed.check(u) == expected, u
        blocked += expected is not None
    assert 300 < blocked < 2700  # the data exercises both answers


def test_rules_by_kind() -> None:
    entries = [ListedEntry(1, "domain", "evil.com"), ListedEntry(2, "host", "cdn.shared.net"),
               ListedEntry(3, "url", "http://shared.net/user/bad/"), ListedEntry(4, "host", "www.evil.com")]
    c = Checker(entries)
    assert c.check("http://deep.sub.evil.com/x") == 1  # a domain covers every subdomain
    assert c.check("http://EVIL.com:8080/") == 1
    assert c.check("http://notevil.com/") is None  # label suffixes, not string suffixes
    assert c.check("http://www.evil.com/") == 4  # the host entry is more specific than the domain
    assert c.check("http://cdn.shared.net/a") == 2
    assert c.check("http://x.cdn.shared.net/a") is None  # a host entry is that name only
    assert c.check("http://shared.net/user/bad/1.jpg") == 3
    assert c.check("http://shared.net/user/good/1.jpg") is None  # a URL entry never blocks its whole host
