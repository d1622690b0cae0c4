"""End to end: BIND loads the published RPZ beside a local test zone and blocks what the list says.

The zone comes the way an operator makes it: on a fresh database, `mamoru blocklist propose` and
`confirm` (a second person) through the `mamoru` command, a proposal left unconfirmed, an entry
confirmed and then taken off; `mamoru blocklist publish --out DIR` writes and signs the RPZ, which
`mamoru blocklist verify` accepts and `export --format rpz` reproduces. A real `named` (Debian's
bind9) is started on a free loopback port with a small authoritative zone `example.test` and that
file as its response policy zone. A listed domain and its subdomains answer NXDOMAIN, a host entry
blocks only its own name, a URL entry, an unconfirmed proposal and a removed entry block no name, and
a name that is not listed resolves. The RPZ also passes `named-checkzone`. In CI (CI set) a missing
BIND fails the test.
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
from tests.conftest import TEST_PASSWORD
from tests.functional.conftest import Cli
from typer.testing import CliRunner

SBIN = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
RPZ_ZONE = "rpz.mamoru.test"
CRITERIA = "purpose,confirmed,same-operator,no-alternative"
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
pending IN A 192.0.2.13
gone IN A 192.0.2.14
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


def _ok(cli: Cli, *args: str) -> str:
    r = cli(*args)
    assert r.exit_code == 0, (args, r.output)
    return str(r.stdout)


def _propose(cli: Cli, *args: str) -> str:
    return _ok(cli, "blocklist", "propose", *args, "--reason", "hotline case", "--as", "ana").split()[-1]


@pytest.fixture(scope="module")
def rpz_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The RPZ that `mamoru blocklist publish` wrote from entries proposed and confirmed with the CLI."""
    d = tmp_path_factory.mktemp("bind")
    work = tmp_path_factory.mktemp("mamoru")
    cli = Cli(env={"MAMORU_DATABASE_URL": f"sqlite:///{work / 'mamoru.db'}", "MAMORU_VAR_DIR": str(work / "var"),
                   "MAMORU_NEW_PASSWORD": TEST_PASSWORD, "MAMORU_AUDIT_KEY": str(work / "keys" / "audit.key"),
                   "MAMORU_BLOCKLIST_KEY": str(work / "keys" / "blocklist.key")}, runner=CliRunner())
    _ok(cli, "db", "upgrade")
    _ok(cli, "blocklist", "key", "rotate")  # MAMORU_BLOCKLIST_KEY is given: publish does not make the key
    for name, role in (("ana", "analyst"), ("sena", "senior_analyst")):
        _ok(cli, "user", "add", name, "--role", role)
    confirmed = [_propose(cli, "--domain", "evil.example.test", "--criteria", CRITERIA),
                 _propose(cli, "--host", "files.example.test"),
                 _propose(cli, "--url", "http://shared.example.test/user/bad/"),
                 _propose(cli, "--host", "gone.example.test")]
    _propose(cli, "--host", "pending.example.test")  # never confirmed: must not be blocked
    refused = cli("blocklist", "confirm", confirmed[0], "--as", "ana")
    assert refused.exit_code == 1, refused.output  # the proposer cannot confirm their own entry
    for entry in confirmed:
        _ok(cli, "blocklist", "confirm", entry, "--as", "sena")
    _ok(cli, "blocklist", "remove", confirmed[3], "--content-removed", "--as", "sena")  # version 5

    out = work / "published"
    _ok(cli, "blocklist", "publish", "--out", str(out))
    published = out / "blocklist.rpz"
    pub = work / "blocklist.pub"
    pub.write_text(_ok(cli, "blocklist", "key", "show"))
    assert "version 5" in _ok(cli, "blocklist", "verify", str(published), "--key", str(pub))
    assert cli("blocklist", "export", "--format", "rpz").stdout_bytes == published.read_bytes()
    path = d / "rpz.zone"
    shutil.copyfile(published, path)
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
    assert "serial 5" in r.stdout  # SOA serial = list version (4 confirmations, 1 removal)


@pytest.mark.parametrize("name", ["evil.example.test", "www.evil.example.test", "deep.a.evil.example.test",
                                  "unknown.evil.example.test", "files.example.test"])
def test_listed_names_are_blocked(named: int, name: str) -> None:
    import dns.rcode

    rcode, addrs = _query(name, named)
    assert rcode == dns.rcode.NXDOMAIN and addrs == []


@pytest.mark.parametrize("name,address", [("ok.example.test", "192.0.2.10"), ("notevil.example.test", "192.0.2.12"),
                                          ("sub.files.example.test", "192.0.2.68"),
                                          ("shared.example.test", "192.0.2.11"),
                                          ("pending.example.test", "192.0.2.13"),
                                          ("gone.example.test", "192.0.2.14")])
def test_unlisted_names_resolve(named: int, name: str, address: str) -> None:
    import dns.rcode

    assert _query(name, named) == (dns.rcode.NOERROR, [address])
