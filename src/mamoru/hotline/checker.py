"""Removal checks: is a reported URL still there? Status and redirects only, never a body.

Reported URLs come from the public, so the checker guards against server-side request forgery: it
resolves the host name itself, refuses loopback, private, link-local and every other non-public
address (at each redirect too), connects to the address it checked (so a second DNS answer cannot
swap in an internal one), follows at most a few redirects within one overall time limit, and can
go through a configured outbound proxy. A HEAD request comes first; only when a server refuses HEAD
is a GET sent, and its body is never read: the response is closed as soon as the status line and
headers are in.

Loopback can be allowed only through the explicit test-only setting
MAMORU_HOTLINE_CHECK_ALLOW_LOOPBACK_FOR_TESTS; private and link-local addresses never.
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin

import httpx

from mamoru.hotline.tracing import NameNotFound, Resolver

USER_AGENT = "mamoru-removal-check/1 (status only; body never read)"
REMOVED_STATUSES = frozenset({404, 410, 451})

PRESENT, REMOVED, INCONCLUSIVE, ERROR, REFUSED = "present", "removed", "inconclusive", "error", "refused"


@dataclass
class CheckResult:
    outcome: str
    status_code: int | None = None
    method: str = "HEAD"
    redirects: list[str] = field(default_factory=list)
    detail: str = ""


class RequestRefused(Exception):
    """The URL leads to an address the checker must not contact."""


def address_allowed(addr: str, allow_loopback: bool = False) -> bool:
    ip = ipaddress.ip_address(addr)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return allow_loopback
    return bool(ip.is_global) and not ip.is_multicast and not ip.is_reserved


def _literal_ip(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


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
            raise RequestRefused(f"{host} resolves to a non-public address ({bad[0]}); not contacted")
        return addrs[0]

    def _send(self, client: httpx.Client, method: str, url: httpx.URL, deadline: float) -> httpx.Response:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise httpx.TimeoutException("overall time limit reached")
        host = url.host
        address = self._pinned_address(host)
        headers = {"User-Agent": USER_AGENT, "Accept": "*/*"}
        extensions: dict[str, object] = {"timeout": httpx.Timeout(remaining).as_dict()}
        target = url
        if not self.proxy:
            # Connect to the address just checked; keep the name for Host and TLS (SNI, certificate).
            headers["Host"] = url.netloc.decode("ascii")
            extensions["sni_hostname"] = host
            target = url.copy_with(host=address)
        request = client.build_request(method, target, headers=headers, extensions=extensions)
        response = client.send(request, stream=True)
        response.close()  # status and headers only: the body is never read
        return response

    def check(self, url: str) -> CheckResult:
        deadline = time.monotonic() + self.timeout
        redirects: list[str] = []
        current = url
        method = "HEAD"
        try:
            with httpx.Client(follow_redirects=False, trust_env=False, proxy=self.proxy or None) as client:
                for _hop in range(self.max_redirects + 1):
                    parsed = httpx.URL(current)
                    if parsed.scheme not in ("http", "https"):
                        return CheckResult(REFUSED, None, method, redirects, f"scheme {parsed.scheme!r} is not checked")
                    method = "HEAD"
                    response = self._send(client, "HEAD", parsed, deadline)
                    if response.status_code in (405, 501):
                        method = "GET"
                        response = self._send(client, "GET", parsed, deadline)
                    location = response.headers.get("location")
                    if response.is_redirect and location:
                        current = urljoin(current, location)
                        redirects.append(current)
                        continue
                    return _classify(response.status_code, method, redirects)
                return CheckResult(INCONCLUSIVE, None, method, redirects, f"more than {self.max_redirects} redirects")
        except RequestRefused as exc:
            return CheckResult(REFUSED, None, method, redirects, str(exc))
        except NameNotFound as exc:
            return CheckResult(REMOVED, None, method, redirects, f"host name {exc} no longer resolves")
        except httpx.TimeoutException as exc:
            return CheckResult(ERROR, None, method, redirects, f"timed out: {exc}")
        except (httpx.HTTPError, OSError) as exc:
            return CheckResult(ERROR, None, method, redirects, f"{type(exc).__name__}: {exc}")


def _classify(status: int, method: str, redirects: list[str]) -> CheckResult:
    if status in REMOVED_STATUSES:
        return CheckResult(REMOVED, status, method, redirects)
    if 200 <= status < 300:
        return CheckResult(PRESENT, status, method, redirects)
    return CheckResult(INCONCLUSIVE, status, method, redirects, f"status {status} says neither present nor removed")
