"""Behind the reverse proxy each public reporter has a rate limit of their own (MAMORU_TRUSTED_PROXIES):
X-Forwarded-For is read from a trusted proxy only, its right-most address that is not a trusted proxy
keys the limit, a forged header from anyone else is ignored, and no address is stored or logged."""

from __future__ import annotations

import dataclasses
import logging
import re
from ipaddress import ip_network
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text

from mamoru.db import Base
from mamoru.hotline.runtime import PublicFormRuntime
from mamoru.ratelimit import MemoryRateLimiter
from mamoru.web.app import create_app

PROXY = ("10.0.0.5", 40001)  # the reverse proxy (on loopback too, 127.0.0.1, in the documented layout)
OUTSIDER = ("198.51.100.23", 50123)  # documentation ranges, never real reporters
ALICE, BOB, FORGED = "203.0.113.77", "203.0.113.88", "192.0.2.99"


def _intake(settings: Any, database: Any, runtime: Any, client: tuple[str, int], trusted: str) -> TestClient:
    public = settings.var_dir / "keys" / "contact.pub"
    public.parent.mkdir(parents=True, exist_ok=True)
    public.write_text(runtime.contacts.public_line() + "\n")
    proxies = tuple(ip_network(p) for p in trusted.split(",") if p)
    app = create_app(dataclasses.replace(settings, role="intake", trusted_proxies=proxies), database)
    app.state.public_form_runtime = PublicFormRuntime(
        settings=dataclasses.replace(runtime.settings, public_rate=(2, 600)), limiter=MemoryRateLimiter(),
        secret="test-secret", contacts=runtime.contacts.sealer())
    return TestClient(app, client=client)


def _reports(c: TestClient, forwarded: str | None, n: int, tag: str) -> list[int]:
    form = c.get("/report")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return [c.post("/report", data={"url": f"http://proxy-{tag}.example.test/{i}", "csrf_token": csrf},
                   headers=headers).status_code for i in range(n)]


def _everything_stored(database: Any) -> str:
    with database.session() as s:
        return "\n".join(repr(row) for table in Base.metadata.sorted_tables
                         for row in s.execute(text(f"SELECT * FROM {table.name}")))


def test_reporters_behind_the_trusted_proxy_have_limits_of_their_own(settings, database, runtime,  # type: ignore[no-untyped-def]
                                                                      caplog) -> None:
    with caplog.at_level(logging.DEBUG), _intake(settings, database, runtime, PROXY, "127.0.0.1,10.0.0.0/8") as c:
        # the proxy appends the address it saw; anything left of it is the client's own claim
        alice = _reports(c, f"{FORGED}, {ALICE}", 3, "a")
        bob = _reports(c, f"{BOB}, 10.1.2.3", 3, "b")  # through a second trusted proxy: still Bob
        bob_again = _reports(c, f"{FORGED}, {BOB}", 1, "b2")  # Bob's forged left part changes nothing
    assert alice == [200, 200, 429] and bob == [200, 200, 429] and bob_again == [429]
    logged = "\n".join(f"{r.getMessage()} {sorted(vars(r).items())!r}" for r in caplog.records)
    stored = _everything_stored(database)
    for address in (ALICE, BOB, FORGED, PROXY[0]):
        assert address not in logged
        assert address not in stored, address
    assert "proxy-a.example.test" in stored  # the reports are there, without anyone's address


def test_forwarded_for_from_an_untrusted_address_is_ignored(settings, database, runtime) -> None:  # type: ignore[no-untyped-def]
    with _intake(settings, database, runtime, OUTSIDER, "127.0.0.1,10.0.0.0/8") as c:
        codes = _reports(c, ALICE, 2, "o1") + _reports(c, BOB, 2, "o2")  # a new "address" per request: one limit
    assert codes == [200, 200, 429, 429]
    assert OUTSIDER[0] not in _everything_stored(database)


def test_without_trusted_proxies_the_header_is_ignored(settings, database, runtime) -> None:  # type: ignore[no-untyped-def]
    with _intake(settings, database, runtime, ("127.0.0.1", 40002), "") as c:
        codes = _reports(c, ALICE, 2, "n1") + _reports(c, BOB, 1, "n2")
    assert codes == [200, 200, 429]  # the default: the proxy's address is every reporter's
