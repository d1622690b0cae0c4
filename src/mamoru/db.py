"""Engine and session factory, the declarative Base, and shared column types.

All timestamps are stored as UTC. The same models run on SQLite (embedded, tests, `make run`) and
PostgreSQL (production); nothing here is specific to one of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from sqlalchemy import DateTime, MetaData, Table, create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored as UTC; naive values are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def normalize_url(url: str) -> str:
    """Plain postgresql:// URLs use psycopg 3, the driver mamoru installs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


POOL_SIZE = 32
POOL_OVERFLOW = 8
POOL_TIMEOUT = 10.0
"""PostgreSQL connection pool of one process: POOL_SIZE kept open (opened as needed), POOL_OVERFLOW
more for a moment, POOL_TIMEOUT seconds' wait for one. SQLAlchemy's defaults (5 + 10, 30 s) were
fewer connections than AnyIO's 40 worker threads: under load every thread waited for a connection
held by requests that waited for a thread to commit (docs/performance.md, Load)."""


def make_engine(url: str, pool_size: int = POOL_SIZE, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets foreign keys on and a busy timeout for concurrent writers;
    PostgreSQL a pool of `pool_size` connections (+ POOL_OVERFLOW), sized by the web process to the
    requests it lets run at once."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINTs; let
            # SQLAlchemy emit BEGIN itself (the recipe from SQLAlchemy's SQLite documentation).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN")

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    # As many connections as there are worker threads to use them (AnyIO's default pool of 40, which a
    # web process keeps to its in-flight limit plus 8: web/limits.py ConcurrencyLimit), and a short
    # wait for one: past it the web layer answers 503, never a stall of SQLAlchemy's default 30 s.
    kwargs.setdefault("pool_size", pool_size)
    kwargs.setdefault("max_overflow", POOL_OVERFLOW)
    kwargs.setdefault("pool_timeout", POOL_TIMEOUT)
    return create_engine(url, **kwargs)


AUTOCOMMIT = "mamoru_autocommit"
"""The execution option that marks a connection of the short pool (each statement its own transaction)."""


def make_short_engine(url: str, pool_size: int = POOL_SIZE) -> Engine:
    """PostgreSQL connections for Database.short: autocommit (each statement is its own transaction,
    so a read or a single INSERT costs no BEGIN and no COMMIT round trip) and no ping at checkout
    (another round trip per request); a connection found dead is replaced and the work runs again."""
    return create_engine(normalize_url(url), isolation_level="AUTOCOMMIT", pool_pre_ping=False,
                         pool_size=pool_size, max_overflow=POOL_OVERFLOW, pool_timeout=POOL_TIMEOUT,
                         execution_options={AUTOCOMMIT: True})


def is_autocommit(conn: Connection) -> bool:
    """Whether each statement on `conn` is its own transaction (a connection of the short pool)."""
    return bool(conn.get_execution_options().get(AUTOCOMMIT))


T = TypeVar("T")


class Database:
    """An engine and its session factory. Tests build one bound to a rolled-back transaction."""

    def __init__(self, engine: Engine, sessionmaker_: sessionmaker[Session] | None = None,
                 short: Engine | None = None):
        self.engine = engine
        self.sessionmaker = sessionmaker_ or sessionmaker(bind=engine, expire_on_commit=False)
        self.short_engine = short

    @classmethod
    def from_url(cls, url: str, pool_size: int = POOL_SIZE, *, short: bool = False) -> Database:
        """With `short`, on PostgreSQL, also the pool of Database.short (the hot routes)."""
        engine = make_engine(url, pool_size=pool_size)
        return cls(engine, short=make_short_engine(url, pool_size)
                   if short and engine.dialect.name == "postgresql" else None)

    def short(self, fn: Callable[[Connection], T]) -> T:
        """`fn(connection)`: short work outside the ORM, for a hot route (a match's token and banks,
        a public report's one INSERT).

        With the short pool (PostgreSQL, a served process that asked for it): a connection in
        autocommit (is_autocommit), not pinged at checkout; when the server turns out to have closed
        it, the pool drops it (and the others as old) and `fn` runs once more on a new one, so `fn`
        must be safe to repeat: reads, idempotent writes (a token's last use), or one INSERT the
        closed connection never delivered. Without it (SQLite, a test's database bound to one outer
        transaction): the connection of a session of its own, committed after `fn`."""
        if self.short_engine is None:
            with self.session() as s:
                return fn(s.connection())
        try:
            with self.short_engine.connect() as conn:
                return fn(conn)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
        with self.short_engine.connect() as conn:  # once more, on a new connection
            return fn(conn)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commits on success, rolls back on error."""
        s = self.sessionmaker()
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()


def add_to_counter(session: Session, model: type[Base], key: dict[str, Any], add: dict[str, int]) -> None:
    """Add `add` to the counter row of `model` identified by `key` (its unique columns), creating the
    row when it is the first: one INSERT ... ON CONFLICT DO UPDATE, so two requests counting at once
    neither lose a count nor collide on the unique key (PostgreSQL and SQLite alike)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    else:  # pragma: no cover - only PostgreSQL and SQLite are supported
        raise RuntimeError(f"no upsert for {dialect}")
    table = cast(Table, model.__table__)
    stmt = insert(table).values(**key, **add)
    stmt = stmt.on_conflict_do_update(index_elements=list(key),
                                      set_={c: table.c[c] + stmt.excluded[c] for c in add})
    session.execute(stmt)
