"""The `mamoru blocklist` contracts other tools rely on, through the real command line."""

from __future__ import annotations

from pathlib import Path

from tests.functional.conftest import Cli

CRITERIA = "purpose,confirmed,same-operator,no-alternative"


def _users(cli: Cli) -> None:
    assert cli("user", "add", "admin1", "--role", "administrator").exit_code == 0
    assert cli("user", "add", "ana", "--role", "analyst").exit_code == 0
    assert cli("user", "add", "sena", "--role", "senior_analyst").exit_code == 0
    assert cli("user", "add", "puppet", "--role", "analyst", "--as", "admin1").exit_code == 0


def _propose(cli: Cli, *args: str) -> int:
    r = cli("blocklist", "propose", *args, "--reason", "hotline case")
    assert r.exit_code == 0, r.output
    return int(r.stdout.split()[-1])


def test_propose_confirm_export_check_publish_verify(cli: Cli, tmp_path: Path) -> None:
    _users(cli)
    d = _propose(cli, "--domain", "evil.example", "--criteria", CRITERIA, "--as", "admin1")
    h = _propose(cli, "--host", "files.share.example", "--as", "ana")
    u = _propose(cli, "--url", "http://share.example/u/bad/", "--as", "ana")

    refused = cli("blocklist", "confirm", str(d), "--as", "admin1")
    assert refused.exit_code == 1 and "proposed" in refused.stderr
    puppet = cli("blocklist", "confirm", str(d), "--as", "puppet")
    assert puppet.exit_code == 1 and "created by the proposer" in puppet.stderr
    no_criteria = cli("blocklist", "propose", "--domain", "other.example", "--as", "ana", "--reason", "x")
    assert no_criteria.exit_code == 2 and "purpose" in no_criteria.stderr
    for i in (d, h, u):
        assert cli("blocklist", "confirm", str(i), "--as", "sena").exit_code == 0

    rpz = cli("blocklist", "export", "--format", "rpz")
    assert " SOA " in rpz.stdout and " NS " in rpz.stdout and "*.evil.example CNAME ." in rpz.stdout
    assert "share.example/u" not in rpz.stdout and " 3 3600 " in rpz.stdout  # serial = version 3
    hashed = tmp_path / "list.hashed"
    hashed.write_bytes(cli("blocklist", "export", "--format", "hashed").stdout_bytes)

    urls = ["http://a.b.evil.example/x", "http://files.share.example/", "http://x.files.share.example/",
            "https://share.example/u/bad/1.jpg", "http://share.example/u/good/"]
    expected = [f"blocked {d}", f"blocked {h}", "clear", f"blocked {u}", "clear"]
    for extra in ([], ["--hashed", str(hashed)]):
        r = cli("blocklist", "check", *extra, *urls)
        assert r.exit_code == 0 and r.stdout.splitlines() == expected

    out = tmp_path / "pub"
    assert cli("blocklist", "publish", "--out", str(out)).exit_code == 0
    pub = tmp_path / "blocklist.pub"
    pub.write_bytes(cli("blocklist", "key", "show").stdout_bytes)
    ok = cli("blocklist", "verify", str(out / "blocklist.rpz"), "--key", str(pub))
    assert ok.exit_code == 0 and "version 3" in ok.stdout
    other = cli("blocklist", "verify", str(out / "blocklist.csv"), "--key", str(pub),  # issue 12
                "--signature", str(out / "blocklist.rpz.sig"))
    assert other.exit_code == 1
    assert "the signature does not match this file: it is the signature of blocklist.rpz (version 3), " \
           "not of blocklist.csv" in other.stderr and "altered" not in other.stderr
    data = bytearray((out / "blocklist.rpz").read_bytes())
    data[-3] ^= 0x20
    (out / "blocklist.rpz").write_bytes(bytes(data))
    bad = cli("blocklist", "verify", str(out / "blocklist.rpz"), "--key", str(pub))
    assert bad.exit_code == 1 and "NOT verify" in bad.stderr

    assert cli("blocklist", "remove", str(h), "--content-removed", "--as", "ana").exit_code == 0
    assert cli("blocklist", "compare", "3", "4").stdout.splitlines() == [f"- {h}"]
    assert cli("blocklist", "publish").exit_code == 0
    again = cli("blocklist", "publish")
    assert again.exit_code == 1 and "already published" in again.stderr


def test_check_refuses_an_unreadable_url_without_printing_a_misleading_line(cli: Cli, tmp_path: Path) -> None:
    """The contract prints only `blocked ENTRY_ID` or `clear`, one line per URL in order. A URL that
    cannot be read is neither: it is bad input (exit 2), named on standard error, and standard output
    stays empty, so a caller reading line N as URL N's answer is never misled."""
    _users(cli)
    h = _propose(cli, "--host", "files.share.example", "--as", "ana")
    assert cli("blocklist", "confirm", str(h), "--as", "sena").exit_code == 0
    hashed = tmp_path / "list.hashed"
    hashed.write_bytes(cli("blocklist", "export", "--format", "hashed").stdout_bytes)
    for extra in ([], ["--hashed", str(hashed)]):
        good = cli("blocklist", "check", *extra, "http://files.share.example/a", "http://ok.example/")
        assert good.exit_code == 0 and good.stdout.splitlines() == [f"blocked {h}", "clear"]
        r = cli("blocklist", "check", *extra, "http://files.share.example/a", "http://[::1", "mailto:x",
                "http://ok.example/")
        assert r.exit_code == 2, r.output
        assert r.stdout == ""
        assert "'http://[::1'" in r.stderr and "'mailto:x'" in r.stderr and "2 of 4 URLs" in r.stderr
        assert "files.share.example" not in r.stderr  # only the unreadable ones are named
