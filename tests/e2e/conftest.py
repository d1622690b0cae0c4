"""One production layout (tests/production.py) for every end-to-end module of the session.

Starting the layout takes about 15 s and its nine processes load the machine while they run, so the
modules share one, started once (`layout`), and every test that uses it is put in one xdist group
(GROUP), so under `--dist loadgroup` (the Makefile's PYTEST_ARGS) one worker starts it once (the
node id's @GROUP that tells xdist so: tests/conftest.py). That group is moved to the front of the
collection: xdist hands out work in collection order (the Makefile's --no-loadscope-reorder keeps
it from sorting groups by size), and the long group must start first, not be the tail of the run.
The layout is stopped after the group's last test (pytest_runtest_teardown), not at the end of the
session. The group's browser journeys use the worker's one Playwright (`browser`, tests/conftest.py).

Because the tests share a layout, none of them may rely on another's data: each makes its own users
(`unique_user`) and reports hosts of its own (`unique_host`), and a test that waits for a mail waits
for the one about its own host.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import ExitStack
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


class _Shared:
    """The running layout, started by the first test of GROUP and stopped after its last one (the
    group runs first, on one worker, and its nine processes, the worker's round every 2 s among them,
    should not load the machine for the rest of the session): pytest_runtest_teardown below."""

    stack: ExitStack | None = None
    running: ProductionLayout | None = None

    @classmethod
    def start(cls, tmp_path_factory: pytest.TempPathFactory) -> ProductionLayout:
        if cls.running is None:
            stack = ExitStack()
            cls.running = stack.enter_context(production_layout(tmp_path_factory.mktemp("production"), SETTINGS))
            cls.stack = stack
        return cls.running

    @classmethod
    def stop(cls) -> None:
        stack, cls.stack, cls.running = cls.stack, None, None
        if stack is not None:
            stack.close()  # production_layout's checks (every process gone, the launcher's exit 0) fail here


@pytest.fixture
def layout(tmp_path_factory: pytest.TempPathFactory) -> ProductionLayout:
    """The session's one layout (started by the first test that asks; a test of the group run
    after it was stopped would start it again)."""
    return _Shared.start(tmp_path_factory)


def pytest_sessionfinish() -> None:
    _Shared.stop()  # when the session ended inside the group (a failure with -x, Ctrl-C)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """After the group's last test on this worker (the next test is not one of GROUP), stop the
    layout; a failure of its stop is this test's teardown error."""
    result = yield
    if _Shared.running is not None and _in_group(item) and (nextitem is None or not _in_group(nextitem)):
        _Shared.stop()
    return result


def _in_group(item: pytest.Item) -> bool:
    return any((m.args[:1] or (m.kwargs.get("name"),))[0] == GROUP for m in item.iter_markers("xdist_group"))


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
