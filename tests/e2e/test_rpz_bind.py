"""End to end: BIND loads the generated RPZ beside a local test zone and blocks what the list says.

A real `named` (Debian's bind9) is started on a free loopback port with a small authoritative zone
`example.test` and the compiled response policy zone. A listed domain and its subdomains answer
NXDOMAIN, a host entry blocks only its own name, a URL entry blocks no name, and a name that is not
listed resolves. The RPZ also passes `named-checkzone`. In CI (CI set) a missing BIND fails the test.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mamoru.blocklist.compiler import ListedEntry, RpzOptions, compile_rpz

SBIN = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
RPZ_ZONE = "rpz.mamoru.test"
ENTRIES = [
    ListedEntry(1, "domain", "evil.example.test", "csam"),
    ListedEntry(2, "host", "files.example.test", "csam"),
    ListedEntry(3, "url", "http://shared.example.test/user/bad/", "csam"),
]
TEST_ZONE = """$TTL 60
@ IN SOA ns.example.test. hostmaster.example.test. 1 3600 600 86400 60
@ IN NS ns.example.test.
ns IN A 127.0.0.1
ok IN A 192.0.2.10
shared IN A 192.0.2.11
evil IN A 192.0.2.66
www.evil IN A 192.0.2.66
deep.a.evil IN A 192.0.2.66
files IN A 192.0.2.67
sub.files IN A 192.0.2.68
notevil IN A 192.0.2.12
"""


def _tool(name: str) -> str:
    path = shutil.which(name, path=SBIN)
    if path is None:
        message = f"{name} (Debian package bind9 / bind9-utils) is not installed"
        if os.environ.get("CI"):
            pytest.fail(message + "; CI must install it (.ci/run)")
        pytest.skip(message)
    return path


def _free_port() -> int:
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u, socket.socket() as t:
            u.bind(("127.0.0.1", 0))
            port = u.getsockname()[1]
            try:
                t.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(port)
    raise RuntimeError("no free port")


def _query(name: str, port: int) -> tuple[int, list[str]]:
    import dns.message
    import dns.query
    import dns.rdatatype

    q = dns.message.make_query(name, "A")  # recursion desired: RPZ applies to recursive clients
    r = dns.query.udp(q, "127.0.0.1", port=port, timeout=2)
    addrs = [rd.address for rrset in r.answer if rrset.rdtype == dns.rdatatype.A for rd in rrset]
    return r.rcode(), addrs


@pytest.fixture(scope="module")
def rpz_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("bind")
    path = d / "rpz.zone"
    path.write_bytes(compile_rpz(ENTRIES, 17, RpzOptions()).data)
    return path


@pytest.fixture(scope="module")
def named(rpz_file: Path) -> Iterator[int]:
    binary = _tool("named")
    d = rpz_file.parent
    (d / "example.test.zone").write_text(TEST_ZONE)
    port = _free_port()
    (d / "named.conf").write_text(f"""
options {{
  directory "{d}";
  pid-file "{d}/named.pid";
  session-keyfile "{d}/session.key";
  managed-keys-directory "{d}";
  listen-on port {port} {{ 127.0.0.1; }};
  listen-on-v6 {{ none; }};
  recursion yes;
  allow-query {{ 127.0.0.1; }};
  allow-recursion {{ 127.0.0.1; }};
  dnssec-validation no;
  notify no;
  response-policy {{ zone "{RPZ_ZONE}"; }} qname-wait-recurse no;
}};
controls {{ }};
zone "example.test" {{ type primary; file "example.test.zone"; }};
zone "{RPZ_ZONE}" {{ type primary; file "{rpz_file.name}"; allow-query {{ none; }}; }};
""")
    log = open(d / "named.log", "w")
    proc = subprocess.Popen([binary, "-g", "-c", str(d / "named.conf")], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            # Ready when the policy zone is loaded (it loads after the server starts answering).
            if f"rpz: {RPZ_ZONE}: reload done: success" in (d / "named.log").read_text(errors="replace"):
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("named did not start:\n" + (d / "named.log").read_text()[-3000:])
            time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_rpz_passes_named_checkzone(rpz_file: Path) -> None:
    checkzone = _tool("named-checkzone")
    r = subprocess.run([checkzone, RPZ_ZONE, str(rpz_file)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "serial 17" in r.stdout


@pytest.mark.parametrize("name", ["evil.example.test", "www.evil.example.test", "deep.a.evil.example.test",
                                  "unknown.evil.example.test", "files.example.test"])
def test_listed_names_are_blocked(named: int, name: str) -> None:
    import dns.rcode

    rcode, addrs = _query(name, named)
    assert rcode == dns.rcode.NXDOMAIN and addrs == []


@pytest.mark.parametrize("name,address", [("ok.example.test", "192.0.2.10"), ("notevil.example.test", "192.0.2.12"),
                                          ("sub.files.example.test", "192.0.2.68"),
                                          ("shared.example.test", "192.0.2.11")])
def test_unlisted_names_resolve(named: int, name: str, address: str) -> None:
    import dns.rcode

    assert _query(name, named) == (dns.rcode.NOERROR, [address])
