"""The dnspython resolver against a real DNS server on loopback (answers built with dnspython), and
the static resolver against the same interface."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import dns.message
import dns.rcode
import dns.rrset
import pytest

from mamoru.hotline.tracing import DnsResolver, NameNotFound, StaticResolver, address_key

ZONE = {("site.example.test.", "A"): ["203.0.113.10", "203.0.113.11"], ("site.example.test.", "AAAA"): ["2001:db8::10"]}


@pytest.fixture(scope="module")
def dns_server() -> Iterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                data, peer = sock.recvfrom(4096)
            except TimeoutError:
                continue
            query = dns.message.from_wire(data)
            q = query.question[0]
            reply = dns.message.make_response(query)
            name, rdtype = q.name.to_text(), dns.rdatatype.to_text(q.rdtype)
            answers = ZONE.get((name, rdtype))
            if answers:
                reply.answer.append(dns.rrset.from_text_list(q.name, 60, "IN", rdtype, answers))
            elif not any(k[0] == name for k in ZONE):
                reply.set_rcode(dns.rcode.NXDOMAIN)
            sock.sendto(reply.to_wire(), peer)

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    yield f"127.0.0.1:{sock.getsockname()[1]}"
    stop.set()
    t.join()
    sock.close()


def test_dnspython_resolver_with_local_server(dns_server: str) -> None:
    r = DnsResolver(server=dns_server, timeout=2)
    assert sorted(r.resolve("site.example.test")) == ["2001:db8::10", "203.0.113.10", "203.0.113.11"]
    with pytest.raises(NameNotFound):
        r.resolve("missing.example.test")


def test_static_resolver_same_interface() -> None:
    r = StaticResolver({"a.test": ["192.0.2.1"]})
    assert r.resolve("a.test") == ["192.0.2.1"]
    with pytest.raises(NameNotFound):
        r.resolve("b.test")


def test_address_keys_sort_like_addresses() -> None:
    import ipaddress
    import random

    rng = random.Random(3)
    addrs = [str(ipaddress.IPv4Address(rng.getrandbits(32))) for _ in range(200)]
    assert sorted(addrs, key=address_key) == sorted(addrs, key=lambda a: int(ipaddress.IPv4Address(a)))
    assert address_key("0.0.0.1") < address_key("255.255.255.255") < address_key("2001:db8::1")
