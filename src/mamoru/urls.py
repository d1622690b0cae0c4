"""URL canonicalisation and lookup expressions, shared by the hotline and the blocking list.

Reported and listed URLs are compared in the canonical form of the Safe Browsing URL-hashing
specification: tabs and line breaks removed, fragment dropped, repeatedly percent-unescaped, host
lower-cased with dots normalised, IPv4 addresses in dotted decimal, a non-ASCII host in its IDNA form,
the path's `.`/`..` segments resolved and runs of slashes collapsed, the query kept as it is, the
port and any user name dropped, and bytes <= 0x20, >= 0x7F, `#` and `%` escaped in upper-case hex.

`canonicalize()` tries a cheap regular-expression path first (plain ASCII http(s) URLs that are
already canonical apart from case and port) and otherwise runs the full, plainly written algorithm
`canonicalize_full()`; tests check that both agree on random input. Input that cannot be made into
a URL (empty, no host, an unusable scheme) raises `ValueError` with a message saying why (a
`BadValue`, whose template and values a page shows in the reader's language).
"""

from __future__ import annotations

import ipaddress
import re
from typing import NamedTuple

from mamoru.errors import BadValue

__all__ = ["CanonicalURL", "canonicalize", "canonicalize_full", "canonicalize_host", "host_suffixes",
           "lookup_expressions", "parse", "parse_full", "request_parts", "check_one_host"]

MAX_HOST_SUFFIXES = 4  # besides the exact host, from the last 5 labels
MAX_PATH_PREFIXES = 4  # the root and up to 3 more


class CanonicalURL(NamedTuple):
    """A canonical URL in parts: `query` is None when there is no `?` at all."""

    scheme: str
    host: str
    path: str
    query: str | None

    @property
    def url(self) -> str:
        q = "" if self.query is None else "?" + self.query
        return f"{self.scheme}://{self.host}{self.path}{q}"

    @property
    def expression(self) -> str:
        """This URL's own lookup expression: host, path and query, no scheme."""
        q = "" if self.query is None else "?" + self.query
        return f"{self.host}{self.path}{q}"


# --- the full algorithm --------------------------------------------------------------------------
# Text is handled as "byte strings" held in str: UTF-8 encoded, then decoded as Latin-1, so that each
# character is one byte and percent-unescaping may produce any byte.

_ESCAPE_RE = re.compile(r"%([0-9A-Fa-f]{2})")
_NEEDS_ESCAPE_RE = re.compile(r"[\x00-\x20\x7f-\xff#%]")
_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_POSSIBLE_IP_RE = re.compile(r"(?:0[xX][0-9a-fA-F]*|[0-9.])+")
_DOTS_RE = re.compile(r"\.{2,}")
_LDH_HOST_RE = re.compile(r"[a-z0-9_\-]+(?:\.[a-z0-9_\-]+)*\.?")
_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}  # str.lower() would touch bytes >= 0x80


def _as_bytes(text: str) -> str:
    return text.encode("utf-8", "surrogatepass").decode("latin-1")


def _unescape_fully(s: str) -> str:
    while True:
        t = _ESCAPE_RE.sub(lambda m: chr(int(m.group(1), 16)), s)
        if t == s:
            return s
        s = t


def _escape(s: str) -> str:
    return _NEEDS_ESCAPE_RE.sub(lambda m: f"%{ord(m.group(0)):02X}", s)


def _split_scheme(rest: str) -> tuple[str, str]:
    """('http', '//host/...') or ('', rest) when there is no scheme; ValueError for unusable ones."""
    m = _SCHEME_RE.match(rest)
    if m is None:
        return "", rest
    after = rest[m.end():]
    if after.startswith("//"):
        return m.group(1).lower(), after[2:]
    if after == "" or after[0].isdigit():  # "example.com:8080/x": a host and port, no scheme
        return "", rest
    raise BadValue("not a web address: expected '//' after {scheme!r}", scheme=m.group(0))


def _parse_number(part: str) -> int | None:
    try:
        if part[:2] in ("0x", "0X"):
            return int(part[2:] or "0", 16)
        if len(part) > 1 and part[0] == "0":
            return int(part[1:], 8)
        return int(part, 10)
    except ValueError:
        return None


def _ipv4(host: str) -> str | None:
    """Dotted decimal for hosts that parse as IPv4 (octal, hex, fewer than 4 parts), else None."""
    if not _POSSIBLE_IP_RE.fullmatch(host):
        return None
    parts = host.split(".")
    if len(parts) > 4 or "" in parts:
        return None
    numbers = [_parse_number(p) for p in parts]
    if any(n is None for n in numbers):
        return None
    head = [n for n in numbers[:-1] if n is not None]
    last = numbers[-1]
    assert last is not None
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(parts)):
        return None
    value = last
    for i, n in enumerate(head):
        value += n << (8 * (3 - i))
    return ".".join(str((value >> s) & 255) for s in (24, 16, 8, 0))


def _idna(host: str) -> str:
    """A non-ASCII host in its IDNA form; hosts that are not valid UTF-8 or IDNA stay as bytes."""
    try:
        text = host.encode("latin-1").decode("utf-8")
        ascii_host = text.encode("idna").decode("ascii").lower()
    except (UnicodeError, ValueError):
        return host
    return ascii_host if _LDH_HOST_RE.fullmatch(ascii_host) else host


def _canonical_host_bytes(hostish: str) -> str:
    host = hostish.rpartition("@")[2]
    if host.startswith("["):
        end = host.find("]")
        if end < 0:
            raise BadValue("missing ']' in an IPv6 host")
        inner = host[1:end]
        try:
            return "[" + ipaddress.IPv6Address(inner).compressed + "]"
        except ValueError:
            return "[" + inner.translate(_ASCII_LOWER) + "]"
    host = host.partition(":")[0]
    host = _DOTS_RE.sub(".", host.strip(".")).translate(_ASCII_LOWER)
    if any(ord(c) > 127 for c in host):
        host = _DOTS_RE.sub(".", _idna(host).strip("."))
    ip = _ipv4(host)
    if ip is not None:
        return ip
    if not host:
        raise BadValue("no host name in the URL")
    if "[" in host or "]" in host:
        raise BadValue("a bracket in a host name that is not an IPv6 address")
    return host


def _canonical_path(path: str) -> str:
    segments: list[str] = []
    parts = path.split("/")
    for part in parts:
        if part in ("", "."):
            continue
        if part == "..":
            if segments:
                segments.pop()
            continue
        segments.append(part)
    if not segments:
        return "/"
    trailing = parts[-1] in ("", ".", "..")
    return "/" + "/".join(segments) + ("/" if trailing else "")


def parse_full(url: str) -> CanonicalURL:
    """The canonical form in parts, by the plain step-by-step algorithm."""
    if not isinstance(url, str):
        raise BadValue("a URL must be text")
    rest = url.split("#", 1)[0].strip()
    rest = rest.replace("\t", "").replace("\r", "").replace("\n", "")
    if not rest:
        raise BadValue("empty URL")
    rest = _unescape_fully(_as_bytes(rest))
    scheme, rest = _split_scheme(rest)
    scheme = scheme or "http"
    rest, qmark, query = rest.partition("?")
    hostish, slash, path = rest.partition("/")
    host = _canonical_host_bytes(hostish)
    return CanonicalURL(scheme=_escape(scheme), host=_escape(host), path=_escape(_canonical_path(slash + path)),
                        query=_escape(query) if qmark else None)


def canonicalize_full(url: str) -> str:
    return parse_full(url).url


# --- the fast path -------------------------------------------------------------------------------
# Plain http(s) URLs of printable ASCII without %, #, whitespace, user name, "//" or dot segments in
# the path, and a host of letters, digits and hyphens that cannot be read as an IP address.

_FAST_RE = re.compile(
    r"([hH][tT][tT][pP][sS]?)://([A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*)(?::[0-9]{0,5})?"
    r"(/[!\"$&->@-~]*)?(\?[!\"$&-~]*)?")
_DIGITS_ONLY_LABEL_RE = re.compile(r"(?:.*\.)?(?:[0-9]+|0[xX][0-9a-fA-F]*)")


def parse(url: str) -> CanonicalURL:
    """The canonical form in parts (scheme, host, path, query); ValueError for hopeless input."""
    m = _FAST_RE.fullmatch(url) if isinstance(url, str) else None
    if m is not None:
        scheme, host, path, query = m.groups()
        if (path is None or ("//" not in path and "/." not in path)) and not _DIGITS_ONLY_LABEL_RE.fullmatch(host):
            return CanonicalURL(scheme.lower(), host.lower(), path or "/", None if query is None else query[1:])
    return parse_full(url)


def canonicalize(url: str) -> str:
    """The canonical URL (Safe Browsing rules; the port is dropped)."""
    return parse(url).url


def canonicalize_host(name: str) -> str:
    """A host or domain name on its own, canonicalised like the host part of a URL."""
    if not isinstance(name, str) or not name.strip():
        raise BadValue("empty host name")
    if any(c in name for c in "/?#@"):
        raise BadValue("{name!r} is not a bare host name (it has a path, query or user part)", name=name)
    if "://" in name:
        raise BadValue("{name!r} is a URL, not a host name", name=name)
    return parse_full("http://" + name.strip() + "/").host


# --- requesting a canonical URL ------------------------------------------------------------------
# The hotline's removal checks request the canonical URL, the one assessed and listed. Some URLs
# read differently to the canonicaliser (which unescapes the whole URL before splitting it) and to an
# HTTP client or browser (which split first): `http://listed.example%2F@other.example/` is host
# listed.example here and other.example there. Such URLs are refused, with the reason.

_AUTHORITY_END_RE = re.compile(r"[/?]")
_NUMERIC_LABEL_RE = re.compile(r"[0-9]+|0[xX][0-9a-fA-F]*")
_ENCODED_IN_PATH = {"/": "%2F", "?": "%3F", "\\": "%5C"}
_ENCODED_IN_QUERY = {"&": "%26", "=": "%3D", "+": "%2B"}


def _decode_once(s: str) -> str:
    return _ESCAPE_RE.sub(lambda m: chr(int(m.group(1), 16)), s)


def _authority(url: str) -> tuple[str, str]:
    """The authority of a URL as an HTTP client reads it (before unescaping), and the rest."""
    raw = url.split("#", 1)[0].strip().replace("\t", "").replace("\r", "").replace("\n", "")
    _scheme, rest = _split_scheme(raw)
    end = _AUTHORITY_END_RE.search(rest)
    return (rest[:end.start()], rest[end.start():]) if end else (rest, "")


def _split_port(authority: str) -> tuple[str, int | None]:
    """Host part and port of an authority; ValueError for a port that is not 1 to 65535."""
    if authority.startswith("["):
        close = authority.find("]")
        host_part, port_part = authority[:close + 1], authority[close + 1:]
    else:
        host_part, colon, port_part = authority.rpartition("@")[2].partition(":")
        port_part = colon + port_part
    if port_part in ("", ":"):
        return host_part, None
    digits = port_part[1:]
    if not port_part.startswith(":") or not digits.isascii() or not digits.isdigit() or not 0 < int(digits) < 65536:
        raise BadValue("{port!r} is not a port (1 to 65535)", port=port_part[1:] or port_part)
    return host_part, int(digits)


def port_of(url: str) -> int | None:
    """The port a URL names (None: its scheme's own); ValueError for one that is not 1 to 65535."""
    return _split_port(_authority(url)[0])[1]


def _one_host(url: str) -> tuple[CanonicalURL, str]:
    """The canonical parts and the URL's tail after its authority; BadValue when the authority can be
    read as two hosts (a user part, percent-encoding, a backslash, a host the canonical form reads
    otherwise than a browser)."""
    parts = parse(url)
    authority, tail = _authority(url)
    if "\\" in authority or "\\" in tail:
        raise BadValue("the URL holds a backslash, which browsers read as '/' and the canonical form does not")
    if "@" in authority:
        raise BadValue("the URL has a user part ('...@') before its host ({authority!r}): the host it names "
                       "is ambiguous", authority=authority)
    if "%" in authority:
        raise BadValue("the host part {authority!r} holds percent-encoded characters: the host it names is ambiguous",
                       authority=authority)
    host_part, _ = _split_port(authority)
    if _escape(_canonical_host_bytes(_as_bytes(host_part))) != parts.host:
        raise BadValue("the host reads as {canonical!r} in the canonical form and as {browser!r} to a browser",
                       canonical=parts.host, browser=host_part)
    return parts, tail


def check_one_host(url: str) -> None:
    """BadValue, saying why, when the URL's host can be read two ways (a user part, percent-encoding
    or a backslash in it): the host the canonical form lists and the one a browser or an HTTP client
    would go to could differ. The public intake refuses such a URL (hotline.intake.validate)."""
    _one_host(url)


def request_parts(url: str) -> tuple[CanonicalURL, int | None]:
    """The canonical parts of a URL to request, and the port it names (None: the scheme's own).

    ValueError, saying why, when the URL cannot be made canonical or its parts can be read two ways,
    so that a request could go to another host or path than the canonical form names: a user part
    (`user@`) or percent-encoding in the host part, a backslash, a host whose last label is a number
    but that is no IPv4 address, a host that is not a name or address, an encoded `/`, `?` or `\\`
    in the path, an encoded `&`, `=` or `+` in the query, percent-encoding encoded twice, a port that
    is not 1 to 65535."""
    parts, tail = _one_host(url)
    _, port = _split_port(_authority(url)[0])
    host = parts.host
    if host.startswith("["):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            raise BadValue("the host {host!r} is in brackets but is not an IPv6 address", host=host) from None
    if not _is_ip(host):
        last = host.rsplit(".", 1)[-1]
        if _NUMERIC_LABEL_RE.fullmatch(last):
            raise BadValue("the host {host!r} ends in a number but is not an IPv4 address", host=host)
        if not _LDH_HOST_RE.fullmatch(host):
            raise BadValue("the host {host!r} is not a host name or address", host=host)
    path, qmark, query = tail.partition("?")
    for part, encoded, where in ((path, _ENCODED_IN_PATH, "path"), (query if qmark else "", _ENCODED_IN_QUERY, "query")):
        once = _decode_once(part)
        if _ESCAPE_RE.search(once):
            raise BadValue("the path holds percent-encoding that is itself encoded ({part!r})" if where == "path"
                           else "the query holds percent-encoding that is itself encoded ({part!r})", part=part)
        for m in _ESCAPE_RE.finditer(part):
            char = chr(int(m.group(1), 16))
            if char in encoded:
                raise BadValue("the path holds an encoded {char!r} ({encoded}), which the canonical form decodes: the "
                               "path it names is ambiguous" if where == "path" else "the query holds an encoded "
                               "{char!r} ({encoded}), which the canonical form decodes: the query it names is ambiguous",
                               char=char, encoded=encoded[char])
    return parts, port


# --- lookup expressions --------------------------------------------------------------------------

def _is_ip(host: str) -> bool:
    return host.startswith("[") or _ipv4(host) == host


def host_suffixes(host: str) -> list[str]:
    """The exact host, then up to 4 suffixes from its last 5 labels (never the bare top-level)."""
    if _is_ip(host):
        return [host]
    labels = host.split(".")
    out = [host]
    start = max(len(labels) - 5, 1)
    for i in range(start, len(labels) - 1):
        out.append(".".join(labels[i:]))
    return out


def path_prefixes(path: str, query: str | None) -> list[str]:
    """Exact path with query, without query, then the root and up to 3 more directory prefixes."""
    out = [path + "?" + query] if query is not None else []
    out.append(path)
    directories = path.split("/")[1:-1]
    prefix = "/"
    if prefix not in out:
        out.append(prefix)
    for d in directories[:MAX_PATH_PREFIXES - 1]:
        prefix = prefix + d + "/"
        if prefix not in out:
            out.append(prefix)
    return out


def expressions_of(parts: CanonicalURL) -> list[str]:
    paths = path_prefixes(parts.path, parts.query)
    return [h + p for h in host_suffixes(parts.host) for p in paths]


def lookup_expressions(url: str) -> list[str]:
    """Every host-suffix x path-prefix expression a URL is looked up under (no scheme)."""
    return expressions_of(parse(url))
