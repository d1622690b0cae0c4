"""Shared fixtures: a migrated database per backend, each test rolled back; app client; factories.

Every test that touches the database runs on SQLite and, when MAMORU_TEST_POSTGRES_URL is set, on
PostgreSQL too (the `database` fixture is parametrized). Migrations run once per session per
backend into a fresh database; each test runs inside a transaction that is rolled back.
"""

from __future__ import annotations

import asyncio
import functools
import os
import secrets
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from tests.factories import users

from mamoru.config import Settings
from mamoru.db import Database, make_engine, normalize_url

REPO = Path(__file__).resolve().parent.parent
# Test data (conformance vectors, reference images, the plan outline) lives in the clone, never beside it:
# tests/data/README.md names each file's origin and licence.
DATA = REPO / "tests" / "data"
PG_URL = os.environ.get("MAMORU_TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
TEST_PASSWORD = users.PASSWORD


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("CI") and not PG_URL:
        raise pytest.UsageError("CI must set MAMORU_TEST_POSTGRES_URL: the suite runs on PostgreSQL too")
    cheap_password_hashing()


# mamoru hashes passwords with argon2id at argon2-cffi's default cost (64 MiB, 3 passes, 4 lanes):
# 0.1 s a hash on an idle core, 1.5 s a hash (0.9 s a check) on these two cores under the suite's
# load, and the suite's own processes make thousands of users and sign-ins (every make_user, login,
# `mamoru user add` through the CliRunner). There, argon2id runs at the lowest cost argon2 allows:
# the same hashes and checks, in their format, cheaply. PRODUCTION_HASHER is mamoru's own, which
# tests/unit/auth/test_service.py puts back to check the cost users get; the processes tests start
# (`mamoru serve`, the production layout, CLI subprocesses) hash as mamoru does.
PRODUCTION_HASHER: object | None = None
TEST_HASHER_COST = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}


def cheap_password_hashing() -> None:
    global PRODUCTION_HASHER
    from argon2 import PasswordHasher

    from mamoru.auth import passwords

    if PRODUCTION_HASHER is None:
        PRODUCTION_HASHER = passwords._hasher
    passwords._hasher = PasswordHasher(**TEST_HASHER_COST)


@pytest.hookimpl(trylast=True)  # after every hook that adds xdist_group marks (tests/e2e/conftest.py)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under `--dist loadgroup`, end each grouped test's node id with @GROUP, which is how the
    controller's scheduler sees the group. pytest-xdist 3.8 does this by assigning `item._nodeid`,
    which pytest 9 no longer reads (the id is `item._id`, a NodeId): without this, xdist_group marks
    are silently ignored and a group's tests are spread over the workers."""
    from _pytest.nodeid import NodeId

    if not config.getoption("loadgroup", False):  # set in the workers by xdist for --dist loadgroup
        return
    for item in items:
        names = sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                        for m in item.iter_markers("xdist_group")})
        suffix = "@" + "_".join(names)
        if names and not item.nodeid.endswith(suffix):
            item._id = NodeId.parse(item.nodeid + suffix)  # type: ignore[attr-defined]


def fresh_postgres_database(prefix: str = "mamoru_t", template: str | None = None) -> tuple[str, Callable[[], None]]:
    """Create an empty PostgreSQL database (or a copy of the database `template`, which no one may be
    connected to); returns its URL and a function that drops it."""
    assert PG_URL
    admin = create_engine(normalize_url(PG_URL), isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    base = normalize_url(PG_URL).rsplit("/", 1)[0]

    def drop() -> None:
        with admin.connect() as c:
            c.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"))
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()

    return f"{base}/{name}", drop


def drop_role_users(url: str, prefix: str) -> None:
    """Drop the database users `mamoru db roles --prefix PREFIX` made (they outlive their database)."""
    from mamoru.separation import drop_roles_sql

    admin = create_engine(url)
    with admin.begin() as conn:
        for stmt in drop_roles_sql(prefix):
            conn.execute(text(stmt))
    admin.dispose()


def fresh_database_url(backend: str, tmp_path: Path) -> tuple[str, Callable[[], None]]:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / f'mamoru-{secrets.token_hex(4)}.db'}", lambda: None
    return fresh_postgres_database()


MigratedCopy = Callable[[str, Path], tuple[str, Callable[[], None]]]


@pytest.fixture(scope="session")
def migrated_copy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MigratedCopy]:
    """fresh_database_url, but the database comes migrated to every head: a copy of one database the
    session migrated once per backend (a file copy on SQLite, CREATE DATABASE ... TEMPLATE on
    PostgreSQL), about 0.1 s instead of the 2 s the migrations take. For tests that need a database
    of their own (the CLI's, a server's); `mamoru db upgrade` itself is tested on empty databases."""
    from mamoru.migrate import upgrade

    templates: dict[str, str] = {}
    drops: list[Callable[[], None]] = []

    def copy(backend: str, tmp_path: Path) -> tuple[str, Callable[[], None]]:
        if backend not in templates:
            url, drop = fresh_database_url(backend, tmp_path_factory.mktemp("template"))
            engine = make_engine(url)
            upgrade(engine)
            engine.dispose()  # no connection may stay open to a PostgreSQL template, nor a SQLite WAL
            templates[backend] = url
            drops.append(drop)
        template = templates[backend]
        if backend == "sqlite":
            tmp_path.mkdir(parents=True, exist_ok=True)
            target = tmp_path / f"mamoru-{secrets.token_hex(4)}.db"
            shutil.copyfile(template.removeprefix("sqlite:///"), target)
            return f"sqlite:///{target}", lambda: None
        return fresh_postgres_database(template=template.rsplit("/", 1)[1])

    yield copy
    for drop in drops:
        drop()


@pytest.fixture(scope="session", params=BACKENDS)
def migrated_engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    from mamoru.migrate import upgrade

    url, drop = fresh_database_url(request.param, tmp_path_factory.mktemp("db"))
    engine = make_engine(url)
    upgrade(engine)
    yield engine
    engine.dispose()
    drop()


@pytest.fixture(scope="session")
def plan_loaded_engines(migrated_copy: MigratedCopy, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], Engine]]:
    """For each backend, an engine on a migrated database where the shipped plan was loaded and
    committed once (load_plan, as `loaded` did in each test: 0.4 s, and more under load, for every
    one of some 170 tests)."""
    from mamoru.plan.loader import load_plan

    engines: dict[str, tuple[Engine, Callable[[], None]]] = {}

    def engine_for(backend: str) -> Engine:
        if backend not in engines:
            url, drop = migrated_copy(backend, tmp_path_factory.mktemp("plan-loaded"))
            engine = make_engine(url)
            with Session(engine) as s:
                load_plan(s, None)
                s.commit()
            engines[backend] = (engine, drop)
        return engines[backend][0]

    yield engine_for
    for engine, drop in engines.values():
        engine.dispose()
        drop()


@pytest.fixture
def database(request: pytest.FixtureRequest, migrated_engine: Engine) -> Iterator[Database]:
    """A Database whose sessions all join one outer transaction, rolled back after the test. A test
    that asks for `loaded` gets the same on the backend's database with the shipped plan loaded."""
    engine = migrated_engine
    if "loaded" in request.fixturenames:
        engine = request.getfixturevalue("plan_loaded_engines")(migrated_engine.dialect.name)
    conn = engine.connect()
    on_the_loop: list[str] = []
    event.listen(conn, "before_cursor_execute", _statement_guard(on_the_loop))
    outer = conn.begin()
    factory = sessionmaker(bind=conn, expire_on_commit=False, join_transaction_mode="create_savepoint")
    yield Database(engine, factory)
    outer.rollback()
    conn.close()
    assert not on_the_loop, ("database statements run on an event loop's thread (an async route or middleware "
                             "holds every other request meanwhile; do it in a plain function or a worker "
                             "thread):\n" + "\n".join(on_the_loop[:5]))


def _statement_guard(found: list[str]) -> Callable[..., None]:
    """A listener that notes each statement run on a thread with a running event loop: in the app, that
    is the server's loop, whose every other request waits for the statement (FastAPI runs plain
    endpoints and dependencies in worker threads, coroutines on the loop)."""
    def guard(conn: object, cursor: object, statement: str, *rest: object) -> None:
        try:  # a coroutine of the loop's (a request's task) runs the statement; not a loop merely set
            if asyncio.current_task() is None:
                return
        except RuntimeError:  # no loop runs in this thread
            return
        found.append(" ".join(statement.split())[:160])
    return guard


@pytest.fixture
def session(database: Database) -> Iterator[Session]:
    s = database.sessionmaker()
    yield s
    s.close()


@pytest.fixture
def loaded(session: Session) -> Session:
    """The session with the shipped plan loaded: its database is the backend's one where the plan
    was loaded once (plan_loaded_engines; `database` chooses it for the tests that ask for this)."""
    from mamoru.plan.models import Plan

    assert session.query(Plan).count() > 0
    return session


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    from tests.settings_support import make_settings

    return make_settings(tmp_path, login_attempts=5)


@pytest.fixture
def make_user(session: Session) -> Callable[..., object]:
    """tests.factories.users.user on this test's session: make_user(role, agency=..., username=...)."""
    return functools.partial(users.user, session)


@pytest.fixture
def api_token(session: Session) -> Callable[..., str]:
    """tests.factories.users.api_token on this test's session: api_token(user, scopes)."""
    return functools.partial(users.api_token, session)


@pytest.fixture
def app(settings: Settings, database: Database):  # type: ignore[no-untyped-def]
    from mamoru.web.app import create_app

    return create_app(settings, database)


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        yield c


def login(client, username: str, password: str = TEST_PASSWORD) -> str:  # type: ignore[no-untyped-def]
    """Log a TestClient in through the form; returns the session's CSRF token."""
    import re

    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    r = client.post("/login", data={"username": username, "password": password, "csrf_token": token, "next": "/"},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    home = client.get("/")
    return re.search(r'name="csrf_token" value="([^"]+)"', home.text).group(1)  # type: ignore[union-attr]


@pytest.fixture
def login_as(client):  # type: ignore[no-untyped-def]
    def do(user: object) -> str:
        return login(client, user.username)  # type: ignore[attr-defined]

    return do


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    """One Playwright and one Debian chromium for every browser test of a worker, in any directory:
    Playwright's sync API refuses a second instance while the first one's loop runs in the thread."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (apt-get install chromium); .ci/run installs it")
        pytest.skip("Debian's chromium is not installed: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()
