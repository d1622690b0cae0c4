"""mamoru.web.clients.client_address: which address keys a rate limit behind trusted proxies."""

from __future__ import annotations

from ipaddress import ip_network

from mamoru.web.clients import client_address

PROXIES = (ip_network("127.0.0.1"), ip_network("10.0.0.0/8"), ip_network("2001:db8:1::/48"))


def test_untrusted_peer_is_the_client_whatever_it_claims() -> None:
    assert client_address("198.51.100.23", ["203.0.113.77"], PROXIES) == "198.51.100.23"
    assert client_address("127.0.0.1", ["203.0.113.77"], ()) == "127.0.0.1"  # no proxies configured


def test_right_most_untrusted_hop_from_a_trusted_proxy() -> None:
    assert client_address("127.0.0.1", ["192.0.2.99, 203.0.113.77"], PROXIES) == "203.0.113.77"
    assert client_address("127.0.0.1", ["192.0.2.99", "203.0.113.77, 10.9.9.9"], PROXIES) == "203.0.113.77"
    assert client_address("127.0.0.1", ["[2001:db8:2::5]:443, 2001:db8:1::7"], PROXIES) == "2001:db8:2::5"
    assert client_address("127.0.0.1", ["203.0.113.77:5123"], PROXIES) == "203.0.113.77"


def test_edge_cases() -> None:
    assert client_address("127.0.0.1", [], PROXIES) == "127.0.0.1"  # no header: the proxy itself
    assert client_address("127.0.0.1", ["10.1.1.1, 10.2.2.2"], PROXIES) == "10.1.1.1"  # all trusted: left-most
    assert client_address("127.0.0.1", ["203.0.113.77, not-an-address"], PROXIES) == "not-an-address"
    assert client_address("testclient", ["203.0.113.77"], PROXIES) == "testclient"
