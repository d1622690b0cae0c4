"""A large hash bank import does not stall the hotline process: while `POST /api/v1/banks/{name}/import`
reads and stores 75,000 generated PDQ hashes (a 4.9 MB file, just under the upload limit), other
requests to the same server are answered within a second. Found as: the route was `async def` and
ran the whole import on the event loop, so every other request of the process waited for it.

A real uvicorn server in this process, on PostgreSQL (production's backend; on embedded SQLite,
`make run`, requests take turns by design: web/limits.py OneAtATime). The hashes are random 256-bit
numbers, no image's.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.conftest import PG_URL, fresh_postgres_database
from tests.factories import users
from tests.servers import serving_in_thread
from tests.settings_support import make_settings

from mamoru.auth import roles as R
from mamoru.db import Database
from mamoru.matching import service
from mamoru.migrate import upgrade
from mamoru.web.app import create_app

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not PG_URL, reason="needs MAMORU_TEST_POSTGRES_URL")]

HASHES = 75_000
ANSWER_SECONDS = 1.0
"""Nine in ten answers during the import come within this; none may take MAX_SECONDS (a loaded
2-core CI machine delays a few answers; before the fix one answer waited for the whole import, 29 s)."""
MAX_SECONDS = 5.0


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A server on a fresh migrated PostgreSQL database with a bank `big`; (base URL, a token of an
    administrator holding `banks`)."""
    url, drop = fresh_postgres_database()
    db = Database.from_url(url)
    upgrade(db.engine)
    with db.session() as s:
        admin = users.user(s, R.ADMINISTRATOR)
        token = users.api_token(s, admin, ["banks"])
        service.create_bank(s, "big", admin)
    settings = make_settings(tmp_path, {"MAMORU_DATABASE_URL": url})
    try:
        with serving_in_thread(create_app(settings)) as base:
            yield base, token
    finally:
        db.engine.dispose()
        drop()


def test_a_75000_hash_import_leaves_the_process_answering(server: tuple[str, str]) -> None:
    base, token = server
    rng = random.Random(13)
    body = "".join(f"{rng.getrandbits(256):064x}\n" for _ in range(HASHES)).encode()
    auth = {"Authorization": f"Bearer {token}"}
    assert httpx.get(base + "/api/v1/health", timeout=30).status_code == 200  # warm
    outcome: dict[str, Any] = {}

    def import_() -> None:
        started = time.monotonic()
        r = httpx.post(base + "/api/v1/banks/big/import", headers=auth, timeout=300,
                       files={"file": ("big.txt", body, "text/plain")}, data={"format": "lines"})
        outcome.update(status=r.status_code, body=r.json(), seconds=time.monotonic() - started,
                       ended=time.monotonic())

    worker = threading.Thread(target=import_, daemon=True)
    worker.start()
    time.sleep(0.5)  # the upload (local, 4.9 MB) is in and the import under way
    answers: list[tuple[float, float, int]] = []  # (sent at, seconds, status)
    while worker.is_alive() and len(answers) < 200:
        sent = time.monotonic()
        r = httpx.get(base + "/api/v1/banks", headers=auth, timeout=60)
        answers.append((sent, time.monotonic() - sent, r.status_code))
        time.sleep(0.1)
    worker.join(300)
    assert outcome["status"] == 201, outcome
    assert outcome["body"]["imported"] == HASHES
    during = [(s, secs, st) for s, secs, st in answers if s < outcome["ended"]]
    print(f"import {outcome['seconds']:.1f} s, {len(during)} requests meanwhile, longest "
          f"{max((x for _, x, _ in during), default=0):.2f} s")
    # a stall shows only in an import longer than the answer time (here 5 to 30 s, by the machine's load)
    assert outcome["seconds"] > 2 * ANSWER_SECONDS and during, "the import was too short to show anything"
    assert all(st == 200 for _, _, st in during), during
    seconds = sorted(secs for _, secs, _ in during)
    late = [round(x, 2) for x in seconds if x > ANSWER_SECONDS]
    assert seconds[-1] < MAX_SECONDS and len(late) * 10 <= len(during), (
        f"while the import ran ({outcome['seconds']:.1f} s), {len(late)} of {len(during)} requests took "
        f"over {ANSWER_SECONDS} s: {late[-10:]}")
