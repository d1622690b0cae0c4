"""Who is on the other end of a request, for rate limits only: the client's address.

Behind the documented reverse proxy every request comes from the proxy's address, so all public
reporters would share one rate limit. A process told its proxies (MAMORU_TRUSTED_PROXIES, addresses
or networks) reads X-Forwarded-For from them, and from nobody else: each proxy appends the address it
received the request from, so walking the header from the right, past the trusted proxies, the
first address that is not one of them is the client (anything left of it is what the client
claimed, and may be forged). A request from an untrusted address keeps its own address whatever
the header says. The address is only turned into a rate-limit key (an HMAC, hotline/ratelimit.py);
it is never stored or logged (the access log has no client address; docs/security.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

from fastapi import Request

Networks = Sequence[IPv4Network | IPv6Network]


def _address(text: str) -> IPv4Address | IPv6Address | None:
    text = text.strip()
    if text.startswith("["):  # [v6]:port
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:  # v4:port
        text = text.partition(":")[0]
    try:
        return ip_address(text)
    except ValueError:
        return None


def _trusted(address: IPv4Address | IPv6Address | None, proxies: Networks) -> bool:
    return address is not None and any(address in net for net in proxies)


def client_address(peer: str, forwarded_for: Sequence[str], proxies: Networks) -> str:
    """The client's address: `peer` (the connection's) unless it is a trusted proxy, then the
    right-most X-Forwarded-For hop that is not a trusted proxy (the left-most if all are)."""
    if not proxies or not _trusted(_address(peer), proxies):
        return peer
    hops = [h.strip() for value in forwarded_for for h in value.split(",") if h.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if not _trusted(address, proxies):
            return str(address) if address is not None else hop[:100]
    return str(_address(hops[0])) if hops else peer


def request_address(request: Request) -> str:
    """client_address for a request, with this process's MAMORU_TRUSTED_PROXIES."""
    peer = request.client.host if request.client else "unknown"
    return client_address(peer, request.headers.getlist("x-forwarded-for"),
                          request.app.state.settings.trusted_proxies)
