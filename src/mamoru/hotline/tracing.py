"""Where is it hosted? Resolve the host, map its addresses to a network and country from imported
IP-range data, and find the provider to write to in the directory.

DNS goes through a `Resolver`: dnspython in production (optionally pointed at one server), a static
table in tests that need no network. Tracing makes no request to the reported address itself.
"""

from __future__ import annotations

import csv
import io
import ipaddress
from dataclasses import dataclass, field
from typing import Protocol

import dns.exception
import dns.resolver
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mamoru.errors import InvalidInput, Problem
from mamoru.hotline.models import IpRange, Provider


class NameNotFound(Exception):
    """The host name does not exist (NXDOMAIN) or has no addresses."""


class Resolver(Protocol):
    def resolve(self, host: str) -> list[str]:
        """IPv4 and IPv6 addresses of `host`; NameNotFound when there are none."""
        ...


@dataclass
class DnsResolver:
    """dnspython; `server` ("ip" or "ip:port") replaces the system's configured resolvers."""

    server: str = ""
    timeout: float = 5.0

    def _resolver(self) -> dns.resolver.Resolver:
        if not self.server:
            r = dns.resolver.Resolver()
        else:
            r = dns.resolver.Resolver(configure=False)
            host, _, port = self.server.rpartition(":") if self.server.count(":") == 1 else (self.server, "", "")
            r.nameservers = [host or self.server]
            if port:
                r.port = int(port)
        r.lifetime = self.timeout
        return r

    def resolve(self, host: str) -> list[str]:
        r = self._resolver()
        found: list[str] = []
        nx = 0
        for rdtype in ("A", "AAAA"):
            try:
                found += [rr.to_text() for rr in r.resolve(host, rdtype)]
            except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
                nx += 1
            except dns.exception.DNSException as exc:
                raise OSError(f"DNS lookup of {host} failed: {exc}") from exc
        if not found:
            raise NameNotFound(host)
        return found


@dataclass
class StaticResolver:
    table: dict[str, list[str]] = field(default_factory=dict)

    def resolve(self, host: str) -> list[str]:
        if not self.table.get(host):
            raise NameNotFound(host)
        return list(self.table[host])


def address_key(addr: str | ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """32 hex digits; IPv4 mapped into IPv6 (::ffff:a.b.c.d) so both sort in one space."""
    ip = ipaddress.ip_address(addr) if isinstance(addr, str) else addr
    value = int(ip) | 0xFFFF00000000 if ip.version == 4 else int(ip)
    return f"{value:032x}"


def _ip_range(row: dict[str, str]) -> IpRange:
    if row.get("cidr"):
        net = ipaddress.ip_network(row["cidr"].strip(), strict=False)
        first, last = net.network_address, net.broadcast_address
    else:
        first, last = ipaddress.ip_address(row["first"].strip()), ipaddress.ip_address(row["last"].strip())
    country = (row.get("country") or "").strip().upper()
    if len(country) != 2:
        raise ValueError("country must be a two-letter code")
    asn = int(row["asn"]) if (row.get("asn") or "").strip() else None
    return IpRange(first=address_key(first), last=address_key(last), network=(row.get("network") or "").strip(),
                   country=country, asn=asn)


def import_ip_ranges(session: Session, text: str, replace: bool = True) -> int:
    """CSV with header `cidr,network,country[,asn]` (or `first,last,...`). All rows or none."""
    rows: list[IpRange] = []
    problems: list[Problem] = []
    # newline="": the csv module sees line ends as they are, so a lone carriage return ends a line
    # (as in its own reading of files) and one inside quotes stays in the field.
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        for row in reader:
            try:
                rows.append(_ip_range(row))
            except (ValueError, KeyError, TypeError) as exc:
                problems.append(Problem(reader.line_num, "cidr", str(exc)))
    except csv.Error as exc:  # e.g. a field over the csv module's size limit: name the line, store nothing
        reason = str(exc).split(" - ")[0]  # without the module's hint about opening files
        raise InvalidInput([Problem(reader.line_num + 1, "csv", f"not readable as CSV: {reason}")]) from None
    if problems:
        raise InvalidInput(problems)
    if replace:
        session.execute(delete(IpRange))
    session.add_all(rows)
    session.flush()
    return len(rows)


def lookup_range(session: Session, addr: str) -> IpRange | None:
    key = address_key(addr)
    row = session.scalars(select(IpRange).where(IpRange.first <= key).order_by(IpRange.first.desc()).limit(1)).first()
    return row if row is not None and row.last >= key else None


@dataclass
class Trace:
    host: str
    addresses: list[str]
    network: str | None
    country: str | None
    provider: Provider | None
    problem: str = ""


def find_provider(session: Session, host: str, network: str | None) -> Provider | None:
    providers = list(session.scalars(select(Provider).order_by(Provider.id)))
    for p in providers:  # the site operator itself first, then the host's network
        if any(host == d or host.endswith("." + d) for d in p.domains or []):
            return p
    for p in providers:
        if network and network in (p.networks or []):
            return p
    return None


def trace(session: Session, resolver: Resolver, host: str) -> Trace:
    literal = None
    try:
        literal = str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        pass
    try:
        addresses = [literal] if literal else resolver.resolve(host)
    except (NameNotFound, OSError) as exc:
        return Trace(host, [], None, None, find_provider(session, host, None), problem=f"not resolved: {exc}")
    rng = next((r for r in (lookup_range(session, a) for a in addresses) if r is not None), None)
    network = rng.network if rng else None
    return Trace(host, addresses, network, rng.country if rng else None, find_provider(session, host, network))
