"""Tracing with the IP-range fixture, the provider directory, and the CLI that imports both."""

from __future__ import annotations

from pathlib import Path

import pytest

from mamoru.errors import InvalidInput
from mamoru.hotline import service
from mamoru.hotline.tracing import StaticResolver, import_ip_ranges, lookup_range, trace

FIXTURE = Path(__file__).parent / "ip-ranges.csv"


def test_ranges_map_addresses_to_network_and_country(session) -> None:  # type: ignore[no-untyped-def]
    assert import_ip_ranges(session, FIXTURE.read_text()) == 4
    assert lookup_range(session, "203.0.113.200").network == "DOC-NET-3"  # type: ignore[union-attr]
    assert lookup_range(session, "198.51.100.1").country == "NL"  # type: ignore[union-attr]
    assert lookup_range(session, "2001:db8::42").network == "DOC-V6"  # type: ignore[union-attr]
    assert lookup_range(session, "192.0.2.1") is None
    with pytest.raises(InvalidInput) as exc:
        import_ip_ranges(session, "cidr,network,country\n10.0.0.0/8,X,JPN\nbad,Y,JP\n")
    assert [p.row for p in exc.value.problems] == [2, 3]
    assert lookup_range(session, "203.0.113.1") is not None, "a bad file leaves the earlier data in place"


def test_trace_finds_site_operator_before_network(session, make_user) -> None:  # type: ignore[no-untyped-def]
    import_ip_ranges(session, FIXTURE.read_text())
    user = make_user("analyst")
    service.add_provider(session, user, "Doc Net Hosting", "abuse@docnet.example.test", "ja", networks=["DOC-NET-3"])
    service.add_provider(session, user, "Board Operator", "report@board.example.test", "en", domains=["board.example.test"])
    resolver = StaticResolver({"board.example.test": ["203.0.113.9"], "img.board.example.test": ["203.0.113.9"],
                               "other.example.test": ["203.0.113.7"]})
    t = trace(session, resolver, "img.board.example.test")
    assert (t.network, t.country, t.provider.name) == ("DOC-NET-3", "JP", "Board Operator")  # type: ignore[union-attr]
    assert trace(session, resolver, "other.example.test").provider.name == "Doc Net Hosting"  # type: ignore[union-attr]
    gone = trace(session, resolver, "vanished.example.test")
    assert gone.addresses == [] and "not resolved" in gone.problem
