"""One production layout (tests/production.py) for every end-to-end module of the session.

Starting the layout takes about 15 s and its nine processes load the machine while they run, so the
modules share one: `layout` is session-scoped, and every test that uses it is put in one xdist group
(GROUP), so under `--dist loadgroup` (the Makefile's PYTEST_ARGS) one worker starts it once (the
node id's @GROUP that tells xdist so: tests/conftest.py). That group is moved to the front of the
collection: xdist hands out work in collection order (the Makefile's --no-loadscope-reorder keeps
it from sorting groups by size), and the long group must start first, not be the tail of the run. The group's browser journeys use the worker's one Playwright (`browser`, tests/conftest.py).

Because the tests share a layout, none of them may rely on another's data: each makes its own users
(`unique_user`) and reports hosts of its own (`unique_host`), and a test that waits for a mail waits
for the one about its own host.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.production import ProductionLayout, production_layout

GROUP = "production-layout"
POLICE = "police@example.test"
# Public reports per reporter address per 10 minutes (mamoru's default). The rate-limit test sends
# these from an address of its own; the browser journeys all report from 127.0.0.1 and share them.
PUBLIC_RATE = 10

# The MAMORU_* settings of the layout's processes, for every module at once.
SETTINGS = {
    # the report form's limit (test_production_layout.py reaches it from 127.0.0.3, and checks that a
    # forged X-Forwarded-For does not get round it)
    "MAMORU_HOTLINE_PUBLIC_RATE": f"{PUBLIC_RATE}/600",
    # who the hotline's worker alerts by SMTP when a report says a child may be in immediate danger
    # (test_production_layout.py: the mail reaches the layout's SMTP sink)
    "MAMORU_HOTLINE_POLICE_EMAIL": POLICE,
    # removal checks may reach a test's own HTTP server on 127.0.0.1 (the journeys that check a
    # reported page is gone); private and link-local addresses stay refused
    "MAMORU_HOTLINE_CHECK_ALLOW_LOOPBACK_FOR_TESTS": "1",
    # test_journey_analyst.py: a removal check every 3.6 s (removed URLs: every 14.4 s) instead of
    # every 6 hours. Only cases waiting for removal or removed are checked, i.e. cases whose deletion
    # request went to a provider: no other test here takes a case that far (the other journeys'
    # hosts are under example.test, which no provider of the layout covers). A test that needs the
    # 6-hour rhythm belongs in tests/functional/hotline, where time is the test's.
    "MAMORU_HOTLINE_CHECK_HOURS": "0.001",
    # a check of a server that is gone (the analyst journey stops its site) fails at once (connection
    # refused); this bounds the rest
    "MAMORU_HOTLINE_CHECK_TIMEOUT": "5",
    # (MAMORU_HOTLINE_RESEND_HOURS stays 24: no journey lasts long enough to see a reminder)
}


@pytest.fixture(scope="session")
def layout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductionLayout]:
    with production_layout(tmp_path_factory.mktemp("production"), SETTINGS) as running:
        yield running


def unique_user(layout: ProductionLayout, role: str, agency: str | None = None) -> str:
    """A new user of `role` in the layout (through `mamoru user add`), named for no other test."""
    username = f"{role.replace('_', '-')}-{secrets.token_hex(4)}"
    layout.add_user(username, role, agency=agency)
    return username


def unique_host(label: str) -> str:
    """A host under example.test that no other test reports or lists."""
    return f"{label}-{secrets.token_hex(4)}.example.test"


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook turns the mark into the node id's @GROUP
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    shared = [item for item in items if "layout" in getattr(item, "fixturenames", ()) and item.path.is_relative_to(here)]
    for item in shared:
        item.add_marker(pytest.mark.xdist_group(GROUP))
    chosen = set(map(id, shared))
    items[:] = shared + [item for item in items if id(item) not in chosen]
