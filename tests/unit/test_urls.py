"""URL canonicalisation and lookup expressions: shared vectors, properties, fast path vs plain path."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from tests.conftest import DATA

from mamoru import urls

VECTORS = DATA / "conformance" / "urls"


def _jsonl(name: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in (VECTORS / name).read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("vector", _jsonl("canonicalization.jsonl"), ids=lambda v: repr(v["input"])[:50])
def test_canonicalization_vectors(vector: dict[str, str]) -> None:
    assert urls.canonicalize(vector["input"]) == vector["canonical"]
    assert urls.canonicalize_full(vector["input"]) == vector["canonical"]


@pytest.mark.parametrize("vector", _jsonl("expressions.jsonl"), ids=lambda v: str(v["url"]))
def test_expression_vectors(vector: dict[str, object]) -> None:
    got = urls.lookup_expressions(str(vector["url"]))
    assert len(got) == len(set(got))
    assert sorted(got) == sorted(vector["expressions"])  # type: ignore[arg-type]


def test_port_and_user_are_dropped_and_ip_forms_normalised() -> None:
    assert urls.canonicalize("HTTP://user:pw@Example.COM:8443/a") == "http://example.com/a"
    assert urls.canonicalize("http://0x7f.1/") == "http://127.0.0.1/"
    assert urls.canonicalize("http://0177.0.0.01/") == "http://127.0.0.1/"
    assert urls.canonicalize("http://[2001:DB8::0:1]:80/x") == "http://[2001:db8::1]/x"
    assert urls.canonicalize("example.com:8080/x?y") == "http://example.com/x?y"


def test_expressions_limits() -> None:
    exprs = urls.lookup_expressions("http://a.b.c.d.e.f.g/1/2/3/4/5/6.html?q=1")
    hosts = {e.split("/", 1)[0] for e in exprs}
    paths = {"/" + e.split("/", 1)[1] for e in exprs}
    assert hosts == {"a.b.c.d.e.f.g", "c.d.e.f.g", "d.e.f.g", "e.f.g", "f.g"}
    assert paths == {"/1/2/3/4/5/6.html?q=1", "/1/2/3/4/5/6.html", "/", "/1/", "/1/2/", "/1/2/3/"}
    assert "g/" not in exprs  # never the bare top-level domain


@pytest.mark.parametrize("bad", ["", "   ", "http://", "http:///path", "mailto:someone@example.com",
                                 "http://.../", "javascript:alert(1)"])
def test_hopeless_input_is_a_clear_value_error(bad: str) -> None:
    with pytest.raises(ValueError):
        urls.canonicalize(bad)


def test_canonicalize_host() -> None:
    assert urls.canonicalize_host("WWW.Example.com.") == "www.example.com"
    assert urls.canonicalize_host("例え.jp") == "xn--r8jz45g.jp"
    for bad in ("http://x.com/", "x.com/path", "", "a@b"):
        with pytest.raises(ValueError):
            urls.canonicalize_host(bad)


# --- the URL a removal check requests ----------------------------------------------------------

@pytest.mark.parametrize("url,host,port,path", [
    ("HTTP://Example.COM:8443/a/./b?x=1", "example.com", 8443, "/a/b"),
    ("http://2130706433:8207/ok", "127.0.0.1", 8207, "/ok"),
    ("http://0x7f.1/", "127.0.0.1", None, "/"),
    ("http://0177.0.0.1:80/", "127.0.0.1", 80, "/"),
    ("http://[2001:DB8::1]:8080/x", "[2001:db8::1]", 8080, "/x"),
    ("example.com/a b", "example.com", None, "/a%20b"),
    ("http://例え.jp/", "xn--r8jz45g.jp", None, "/"),
])
def test_request_parts_are_the_canonical_parts_with_the_port(url: str, host: str, port: int | None, path: str) -> None:
    parts, got_port = urls.request_parts(url)
    assert parts == urls.parse(url)
    assert (parts.host, got_port, parts.path) == (host, port, path)


@pytest.mark.parametrize("url", [
    "http://reported.example.test%2F@127.0.0.1/gone",  # listed as reported.example.test, an HTTP client goes to 127.0.0.1
    "http://user:pw@example.com/", "http://a.example\\@b.example/", "http://ex%61mple.com/",
    "http://example.com/a%2Fb", "http://example.com/a%5Cb", "http://example.com/a%3Fb", "http://example.com/?a%3D1",
    "http://example.com/%2541", "http://1.2.3.999/", "http://example.123/", "http://example.com:0/",
    "http://example.com:http/", "http://[::1]x/",
])
def test_request_parts_refuse_urls_that_read_two_ways(url: str) -> None:
    with pytest.raises(ValueError):
        urls.request_parts(url)


REQUESTISH = st.builds(lambda s, h, p: f"{s}{h}{p}", st.sampled_from(["http://", "https://", ""]),
                       st.text(alphabet="abc019.-%:@[]é\\", min_size=1, max_size=20),
                       st.text(alphabet="/.%2541aZ?#&=+\\ é", max_size=30))


@settings(max_examples=400, deadline=None)
@given(REQUESTISH)
@example("http://[é]/")  # brackets around no IPv6 address: once read as the host "[%C3%A9]"
def test_request_parts_agree_with_the_canonicaliser_or_refuse(text: str) -> None:
    try:
        parts, port = urls.request_parts(text)
    except ValueError:
        return
    assert parts == urls.parse(text) == urls.parse_full(text)
    assert port is None or 0 < port < 65536
    assert "@" not in parts.host and "%" not in parts.host


# --- properties ----------------------------------------------------------------------------------

URLISH = st.one_of(
    st.text(max_size=60),
    st.builds(lambda s, h, p: f"{s}{h}{p}", st.sampled_from(["http://", "https://", "HTTP://", "", "ftp://"]),
              st.text(alphabet="abcXYZ019.-%:@[]é例", min_size=1, max_size=20),
              st.text(alphabet="/.%2541aZ?#&=\t é~", max_size=30)),
)


@settings(max_examples=400, deadline=None)
@given(URLISH)
def test_canonicalisation_is_idempotent_and_never_crashes(text: str) -> None:
    try:
        once = urls.canonicalize(text)
    except ValueError:
        return
    assert once.isascii()
    assert urls.canonicalize(once) == once
    assert urls.canonicalize_full(text) == once
    assert urls.lookup_expressions(once) == urls.lookup_expressions(text)


def _random_plain_url(rng: random.Random) -> str:
    """URLs mostly inside the fast path's reach, with the edge cases it must hand over."""
    pieces = "abc", "XYZ", "0", "123", "0x1f", "-", "."
    host = ".".join("".join(rng.choice(pieces) for _ in range(rng.randint(1, 3))) for _ in range(rng.randint(1, 6)))
    path = "".join(rng.choice(["/", "//", "a", "B", ".", "..", "/./", "/../", "%41", "~", "@", ":", ";", "\\", "!"])
                   for _ in range(rng.randint(0, 8)))
    query = rng.choice(["", "?", "?a=1&b=2", "?x=/../", "?%20", "?q#frag"])
    port = rng.choice(["", ":", ":80", ":65535"])
    scheme = rng.choice(["http://", "https://", "HtTp://"])
    return f"{scheme}{host}{port}{'/' if path and path[0] != '/' else ''}{path}{query}"


def test_fast_path_agrees_with_plain_algorithm_on_random_urls() -> None:
    rng = random.Random(20261128)
    for _ in range(20000):
        u = _random_plain_url(rng)
        try:
            expected = urls.canonicalize_full(u)
        except ValueError:
            with pytest.raises(ValueError):
                urls.canonicalize(u)
            continue
        assert urls.canonicalize(u) == expected, u


# --- command line --------------------------------------------------------------------------------

def test_cli_canonicalize_passes_every_vector_in_order() -> None:
    from typer.testing import CliRunner

    from mamoru.cli.app import app

    vectors = _jsonl("canonicalization.jsonl")
    r = CliRunner().invoke(app, ["url", "canonicalize", *[str(v["input"]) for v in vectors]])
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines() == [v["canonical"] for v in vectors]


def test_cli_expressions_and_bad_input() -> None:
    from typer.testing import CliRunner

    from mamoru.cli.app import app

    vec = _jsonl("expressions.jsonl")[0]
    r = CliRunner().invoke(app, ["url", "expressions", str(vec["url"])])
    assert r.exit_code == 0
    assert sorted(r.stdout.splitlines()) == sorted(vec["expressions"])  # type: ignore[arg-type]
    bad = CliRunner().invoke(app, ["url", "canonicalize", "http://ok.example/", "mailto:someone@example.com"])
    assert bad.exit_code == 2
    assert bad.stdout == ""
    assert "mailto" in bad.stderr
