"""Removal checks: is a reported URL still there? Status and redirects only, never a body.

What is requested is the canonical URL, the one assessed and listed on the blocking list
(mamoru.urls.request_parts: the canonical scheme, host, path and query, with the port the URL names).
A URL whose parts read two ways (a user part or percent-encoding in the host, an encoded `/` in the
path, ...) is refused with the reason, never requested. Numeric host forms (`2130706433`, `0x7f.1`,
`127.1`, `0177.0.0.1`) are addresses, as the canonicaliser reads them, and go through the address
filter like any other address.

Reported URLs come from the public, so the checker guards against server-side request forgery: it
resolves the host name itself, refuses loopback, private, link-local and every other non-public
address, and IPv6 addresses that embed a non-public IPv4 address (IPv4-mapped, 6to4, Teredo, NAT64,
IPv4-compatible and -translated forms), at each redirect too; it connects to the address it checked
(so a second DNS answer cannot swap in an internal one), follows at most a few redirects within one
overall time limit, and can go through a configured outbound proxy. A name that does not resolve is
an error (the check failed), never a removal.

A HEAD request comes first; only when a server refuses HEAD (405, 501) is a GET sent. No body byte
is read: the network stream under the HTTP client (`_HeadOnlyStream`) hands over at most what can
still belong to the status line and headers (one or two bytes at a time near their end), refuses to
read once a final response's headers are in, and the response is closed at once, which closes the
connection. (Over TLS the TLS library decrypts whole records; mamoru's code takes no body byte out.)

Loopback can be allowed only through the explicit test-only setting
MAMORU_HOTLINE_CHECK_ALLOW_LOOPBACK_FOR_TESTS; private and link-local addresses never.
"""

from __future__ import annotations

import ipaddress
import json
import re
import ssl
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import httpcore

from mamoru import urls
from mamoru.errors import BadValue
from mamoru.hotline.tracing import NameNotFound, Resolver

USER_AGENT = "mamoru-removal-check/1 (status only; body never read)"
REMOVED_STATUSES = frozenset({404, 410, 451})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

PRESENT, REMOVED, INCONCLUSIVE, ERROR, REFUSED = "present", "removed", "inconclusive", "error", "refused"


@dataclass
class CheckResult:
    outcome: str
    status_code: int | None = None
    method: str = "HEAD"
    redirects: list[str] = field(default_factory=list)
    detail: str = ""
    bytes_read: int = 0  # bytes read from the network: status lines and headers, nothing else (not stored)
    # Why a check did not say present or removed, as a code of check_reasons.CHECK_REASON and its
    # values: what the case page shows in the reader's language (`detail` stays the English text).
    reason: str = ""
    params: dict[str, str] = field(default_factory=dict)


class RequestRefused(Exception):
    """The URL leads to an address the checker must not contact, or cannot be read unambiguously."""

    def __init__(self, message: str, reason: str = "refused_url", **params: str) -> None:
        super().__init__(message)
        self.reason, self.params = reason, {"why": message, **params}

    @classmethod
    def because(cls, why: ValueError) -> RequestRefused:
        """Refused for the reason a parser gave: `why` stays the English text (the check's detail), and
        a `BadValue`'s template and values are kept (`why_msgid`, `why_values`) so that the case page
        says it in the reader's language (vocabulary.reason_text)."""
        refused = cls(f"not checked: {why}")
        refused.params["why"] = str(why)
        if isinstance(why, BadValue):
            refused.params["why_msgid"] = why.template
            refused.params["why_values"] = json.dumps({k: str(v) for k, v in why.params.items()})
        return refused


# --- the address filter ---------------------------------------------------------------------------

_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
_IPV4_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries and leads to: 6to4 (2002::/16), Teredo (2001::/32,
    server and client), NAT64 (64:ff9b::/96, 64:ff9b:1::/48), IPv4-translated (::ffff:0:a.b.c.d) and
    IPv4-compatible (::a.b.c.d) addresses. IPv4-mapped addresses are the IPv4 address itself (see
    address_allowed)."""
    found: list[ipaddress.IPv4Address] = []
    low = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    if any(ip in net for net in _NAT64) or ip in _IPV4_TRANSLATED:
        found.append(low)
    if ip in _IPV4_COMPATIBLE and int(ip) > 1:  # :: and ::1 are not IPv4 forms
        found.append(low)
    return found


def address_allowed(addr: str, allow_loopback: bool = False) -> bool:
    """May a removal check connect to this address? Public addresses only; loopback only with the
    test-only flag; an IPv6 address that embeds a non-public IPv4 address never (not even loopback
    with the flag: it does not lead to this machine's loopback)."""
    ip = ipaddress.ip_address(addr)
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return address_allowed(str(ip.ipv4_mapped), allow_loopback)
        embedded = embedded_ipv4(ip)
        if any(not address_allowed(str(v4)) for v4 in embedded):
            return False
        if embedded and any(ip in net for net in _NAT64):
            return True  # a public IPv4 address through the NAT64 gateway
    if ip.is_loopback:
        return allow_loopback
    return bool(ip.is_global) and not ip.is_multicast and not ip.is_reserved


def _literal_ip(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host[1:-1] if host.startswith("[") and host.endswith("]") else host))
    except ValueError:
        return None


# --- what is requested ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    """One request: the canonical URL's parts and the port."""

    scheme: str
    host: str  # canonical: a name, dotted-decimal IPv4, or [IPv6]
    port: int
    explicit_port: bool
    path_and_query: str

    @property
    def bare_host(self) -> str:
        return self.host[1:-1] if self.host.startswith("[") else self.host

    @property
    def netloc(self) -> str:
        return f"{self.host}:{self.port}" if self.explicit_port else self.host

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.netloc}{self.path_and_query}"


DEFAULT_PORTS = {"http": 80, "https": 443}


def target_of(url: str) -> Target:
    """The canonical URL to request; RequestRefused with the reason for URLs that cannot be checked."""
    try:
        parts, port = urls.request_parts(url)
    except ValueError as exc:
        raise RequestRefused.because(exc) from None
    if parts.scheme not in DEFAULT_PORTS:
        raise RequestRefused.because(BadValue("the scheme {scheme!r} is not checked (only http and https)",
                                              scheme=parts.scheme))
    if parts.host.startswith("[") and _literal_ip(parts.host) is None:
        raise RequestRefused.because(BadValue("the host {host!r} is in brackets but is not an IPv6 address",
                                              host=parts.host))
    query = "" if parts.query is None else "?" + parts.query
    explicit = port is not None and port != DEFAULT_PORTS[parts.scheme]
    return Target(parts.scheme, parts.host, port or DEFAULT_PORTS[parts.scheme], explicit, parts.path + query)


# --- a network stream that reads status lines and headers only -------------------------------------

_BLANK_LINE_RE = re.compile(b"\n\r?\n")  # what ends a head for h11 (httpcore's HTTP/1.1 parser)


@dataclass
class _Meter:
    deadline: float
    bytes_read: int = 0

    def timeout(self, wanted: float | None) -> float:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise httpcore.ReadTimeout("overall time limit reached")
        return remaining if wanted is None else min(wanted, remaining)


def _head_complete(head: bytes | bytearray) -> bool:
    return head[:1] == b"\n" or head[:2] == b"\r\n" or _BLANK_LINE_RE.search(head) is not None


def _safe_read_size(head: bytes | bytearray) -> int:
    """How many bytes may be read without passing the end of the head: one where the next byte can
    end it, else two (the shortest end is a blank line, "\\n\\n")."""
    if not head or head == b"\r" or head.endswith(b"\n") or head.endswith(b"\n\r"):
        return 1
    return 2


def _final_status(head: bytes | bytearray) -> bool:
    """Is this the head of a final response (not 1xx)? Unreadable heads count as final."""
    fields = bytes(head).split(b"\n", 1)[0].split()
    return not (len(fields) >= 2 and fields[1].isdigit() and 100 <= int(fields[1]) < 200)


class _HeadOnlyStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, meter: _Meter) -> None:
        self._inner, self._meter = inner, meter
        self._head = bytearray()
        self._done = False

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        if self._done:
            raise httpcore.ReadError("a removal check reads no body: the headers are in, the response is closed")
        data = self._inner.read(min(max_bytes, _safe_read_size(self._head)), self._meter.timeout(timeout))
        self._meter.bytes_read += len(data)
        self._head += data
        if _head_complete(self._head):
            self._done = _final_status(self._head)
            self._head.clear()  # a 1xx head: the final one follows
        return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._meter.timeout(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        # A tunnel through the proxy: its CONNECT answer was read up to its end, nothing after it.
        return _HeadOnlyStream(self._inner.start_tls(ssl_context, server_hostname, self._meter.timeout(timeout)),
                               self._meter)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _HeadOnlyBackend(httpcore.NetworkBackend):
    def __init__(self, meter: _Meter) -> None:
        self._inner = httpcore.SyncBackend()
        self._meter = meter

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        return _HeadOnlyStream(self._inner.connect_tcp(host, port, self._meter.timeout(timeout), local_address,
                                                       socket_options), self._meter)

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        raise httpcore.UnsupportedProtocol("removal checks use TCP only")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


# --- the checker ----------------------------------------------------------------------------------

@dataclass
class RemovalChecker:
    resolver: Resolver
    timeout: float = 10.0
    max_redirects: int = 5
    proxy: str = ""
    allow_loopback: bool = False

    def _pinned_address(self, host: str) -> str:
        literal = _literal_ip(host)
        addrs = [literal] if literal else self.resolver.resolve(host)
        if not addrs:
            raise NameNotFound(host)
        bad = [a for a in addrs if not address_allowed(a, self.allow_loopback)]
        if bad:
            raise RequestRefused(f"{host} resolves to a non-public address ({bad[0]}); not contacted",
                                 "refused_address", host=host, address=bad[0])
        return addrs[0]

    def _pool(self, meter: _Meter) -> httpcore.ConnectionPool:
        backend = _HeadOnlyBackend(meter)
        context = httpcore.default_ssl_context()
        if not self.proxy:
            return httpcore.ConnectionPool(ssl_context=context, max_keepalive_connections=0, network_backend=backend)
        p = urlsplit(self.proxy)
        auth = (unquote(p.username or ""), unquote(p.password or "")) if p.username else None
        proxy_url = httpcore.URL(scheme=p.scheme.encode("ascii"), host=(p.hostname or "").encode("idna"),
                                 port=p.port, target=b"/")
        return httpcore.HTTPProxy(proxy_url=proxy_url, proxy_auth=auth, ssl_context=context,
                                  max_keepalive_connections=0, network_backend=backend)

    def _send(self, pool: httpcore.ConnectionPool, method: str, target: Target, meter: _Meter) -> httpcore.Response:
        address = self._pinned_address(target.host)
        headers = [(b"Host", target.netloc.encode("ascii")), (b"User-Agent", USER_AGENT.encode("ascii")),
                   (b"Accept", b"*/*"), (b"Connection", b"close")]
        remaining = meter.timeout(None)
        extensions: dict[str, Any] = {"timeout": {"connect": remaining, "read": remaining, "write": remaining,
                                                  "pool": remaining}}
        host = target.bare_host
        if not self.proxy:
            # Connect to the address just checked; keep the name for Host and TLS (SNI, certificate).
            extensions["sni_hostname"] = target.bare_host
            host = address
        url = httpcore.URL(scheme=target.scheme.encode("ascii"), host=host.encode("ascii"),
                           port=target.port if target.explicit_port else None,
                           target=target.path_and_query.encode("ascii"))
        response = pool.handle_request(httpcore.Request(method.encode("ascii"), url, headers=headers,
                                                        extensions=extensions))
        response.close()  # status and headers only: the body is never read; the connection closes
        return response

    def check(self, url: str) -> CheckResult:
        meter = _Meter(deadline=time.monotonic() + self.timeout)
        redirects: list[str] = []
        method = "HEAD"

        def result(outcome: str, status: int | None = None, detail: str = "", reason: str = "",
                   **params: str) -> CheckResult:
            return CheckResult(outcome, status, method, redirects, detail, meter.bytes_read, reason, params)

        try:
            with self._pool(meter) as pool:
                target = target_of(url)
                for _hop in range(self.max_redirects + 1):
                    method = "HEAD"
                    response = self._send(pool, "HEAD", target, meter)
                    if response.status in (405, 501):
                        method = "GET"
                        response = self._send(pool, "GET", target, meter)
                    location = _header(response, b"location")
                    if response.status in REDIRECT_STATUSES and location:
                        following = urljoin(target.url, location)
                        redirects.append(following)
                        target = target_of(following)
                        redirects[-1] = target.url  # what is requested: the canonical URL
                        continue
                    outcome, detail = _classify(response.status)
                    return result(outcome, response.status, detail, "http_status" if detail else "",
                                  **({"status": str(response.status)} if detail else {}))
                return result(INCONCLUSIVE, None, f"more than {self.max_redirects} redirects", "too_many_redirects",
                              limit=str(self.max_redirects))
        except RequestRefused as exc:
            return result(REFUSED, None, str(exc), exc.reason, **exc.params)
        except NameNotFound as exc:
            return result(ERROR, None, f"the host name {exc} does not resolve (no such name, or no address): the check "
                                       "failed; this is not taken as removal", "name_not_found", host=str(exc))
        except httpcore.TimeoutException as exc:
            return result(ERROR, None, f"timed out: {exc}", "timeout", seconds=f"{self.timeout:g}")
        except (httpcore.ProxyError, httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol,
                httpcore.ConnectionNotAvailable, OSError, ValueError) as exc:
            reason, words = _network_reason(exc)
            return result(ERROR, None, f"{type(exc).__name__}: {exc}", reason, error=words)


def _network_reason(exc: Exception) -> tuple[str, str]:
    """The reason code of a failed connection or exchange, and the library's words for it."""
    causes = [exc, exc.__cause__, exc.__context__]
    if any(isinstance(c, ConnectionRefusedError) for c in causes) or "connection refused" in str(exc).lower():
        return "connection_refused", str(exc)
    if isinstance(exc, httpcore.ProxyError):
        return "proxy_error", str(exc)
    if isinstance(exc, (httpcore.ProtocolError, httpcore.UnsupportedProtocol)):
        return "protocol_error", str(exc)
    return "network_error", f"{type(exc).__name__}: {exc}"


def _header(response: httpcore.Response, name: bytes) -> str | None:
    for key, value in response.headers:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def _classify(status: int) -> tuple[str, str]:
    if status in REMOVED_STATUSES:
        return REMOVED, ""
    if 200 <= status < 300:
        return PRESENT, ""
    return INCONCLUSIVE, f"status {status} says neither present nor removed"
