"""Backup and restore of every table, portable between SQLite and PostgreSQL.

`dump()` writes a JSON-lines file: a header (format, migration heads, table list), then one line per
row as {"t": table, "r": {column: value}} in foreign-key order, with dates, datetimes and bytes
tagged so they come back with their types. `restore()` loads such a file into an empty database that
is migrated to the same heads, in one transaction, and resets PostgreSQL's sequences. `checksums()`
gives a row count and a digest per table, so a round trip can be compared.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.engine import Connection, Engine

import mamoru.models_registry  # noqa: F401
from mamoru.db import Base
from mamoru.errors import InvalidInput

FORMAT = "mamoru-dump/1"


def tables() -> list[Table]:
    return list(Base.metadata.sorted_tables)


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$d": value.isoformat()}
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$b": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, Decimal):
        return {"$n": str(value)}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        (k, v), = value.items()
        if k == "$dt":
            return datetime.fromisoformat(v)
        if k == "$d":
            return date.fromisoformat(v)
        if k == "$b":
            return base64.b64decode(v)
        if k == "$n":
            return Decimal(v)
    return value


def _open(path: Path, mode: str) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, mode + "t", encoding="utf-8")  # type: ignore[return-value]
    return path.open(mode, encoding="utf-8")


def _rows(conn: Connection, table: Table) -> Iterator[dict[str, Any]]:
    order = list(table.primary_key.columns) or list(table.columns)
    result = conn.execution_options(yield_per=2000).execute(select(table).order_by(*order))
    for row in result.mappings():
        yield dict(row)


def dump(engine: Engine, path: Path) -> dict[str, int]:
    """Write every table to `path` (gzip when it ends in .gz); returns rows per table."""
    from mamoru.migrate import current_heads

    counts: dict[str, int] = {}
    with engine.connect() as conn, _open(path, "w") as out:
        header = {"format": FORMAT, "heads": sorted(current_heads(engine)), "dialect": engine.dialect.name,
                  "tables": [t.name for t in tables()]}
        out.write(json.dumps(header) + "\n")
        for table in tables():
            n = 0
            for row in _rows(conn, table):
                out.write(json.dumps({"t": table.name, "r": {k: _encode(v) for k, v in row.items()}},
                                     ensure_ascii=False) + "\n")
                n += 1
            counts[table.name] = n
    return counts


def restore(engine: Engine, path: Path, batch: int = 1000) -> dict[str, int]:
    """Load a dump into an empty, migrated database: all of it or nothing."""
    from mamoru.migrate import current_heads

    by_name = {t.name: t for t in tables()}
    counts: dict[str, int] = {}
    with _open(path, "r") as src:
        try:
            header = json.loads(src.readline())
        except ValueError as exc:
            raise InvalidInput(f"{path.name} is not a mamoru dump") from exc
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise InvalidInput(f"{path.name} is not a mamoru dump")
        if set(header["heads"]) != current_heads(engine):
            raise InvalidInput(f"the dump was made at migrations {header['heads']}, the database is at "
                               f"{sorted(current_heads(engine))}: migrate both to the same version first")
        with engine.begin() as conn:
            nonempty = [t.name for t in tables() if conn.execute(select(func.count()).select_from(t)).scalar()]
            if nonempty:
                raise InvalidInput(f"restore needs an empty database; these tables hold rows: {', '.join(nonempty)}")
            pending: dict[str, list[dict[str, Any]]] = {}
            for lineno, line in enumerate(src, start=2):
                try:
                    item = json.loads(line)
                    table = by_name[item["t"]]
                except (ValueError, KeyError) as exc:
                    raise InvalidInput(f"line {lineno}: not a row of a known table") from exc
                rows = pending.setdefault(table.name, [])
                rows.append({k: _decode(v) for k, v in item["r"].items()})
                counts[table.name] = counts.get(table.name, 0) + 1
                if len(rows) >= batch:
                    _flush(conn, by_name, pending)
            _flush(conn, by_name, pending)
            if conn.dialect.name == "postgresql":
                _reset_sequences(conn)
    return counts


def _flush(conn: Connection, by_name: dict[str, Table], pending: dict[str, list[dict[str, Any]]]) -> None:
    # Rows arrive in foreign-key order, so flushing tables in that order keeps references valid.
    for table in tables():
        rows = pending.get(table.name)
        if rows:
            conn.execute(insert(by_name[table.name]), rows)
            rows.clear()


def _reset_sequences(conn: Connection) -> None:
    for table in tables():
        for col in table.primary_key.columns:
            if col.autoincrement is True or (col.autoincrement == "auto" and col.type.python_type is int):
                seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": col.name}).scalar()
                if seq:
                    conn.execute(text(f"SELECT setval('{seq}', COALESCE((SELECT MAX({col.name}) FROM {table.name}), 0) + 1, false)"))


def checksums(engine: Engine) -> dict[str, tuple[int, str]]:
    """Rows and a SHA-256 over the canonical rows, per table (comparable across databases)."""
    out: dict[str, tuple[int, str]] = {}
    with engine.connect() as conn:
        for table in tables():
            h = hashlib.sha256()
            n = 0
            for row in _rows(conn, table):
                h.update(json.dumps({k: _canonical(v) for k, v in sorted(row.items())}, sort_keys=True,
                                    ensure_ascii=False, default=str).encode())
                n += 1
            out[table.name] = (n, h.hexdigest())
    return out


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):

        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return _encode(value)
