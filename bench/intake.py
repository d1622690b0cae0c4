"""Intake load test on loopback: a steady rate of trusted-flagger reports against `mamoru serve`.

Starts a real server process on a fresh database (SQLite file by default, or --database-url), sends
reports at a fixed rate (open loop: each request leaves at its scheduled time whether or not earlier
ones have answered), then counts the reports stored and prints accepted, stored, lost (accepted but
not stored: must be 0), refused, errors, and latency percentiles.

    .venv/bin/python bench/intake.py                    # 60 s at 200 reports/s
    .venv/bin/python bench/intake.py --seconds 5 --rate 50
    .venv/bin/python bench/intake.py --database-url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx


@dataclass
class Outcome:
    accepted: int = 0
    refused: int = 0
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    late_starts: int = 0
    keys: list[str] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _prepare(database_url: str) -> str:
    """Migrate, create a flagger account and return its API token."""
    from mamoru.auth.service import create_user, issue_token
    from mamoru.db import Database
    from mamoru.migrate import upgrade

    db = Database.from_url(database_url)
    upgrade(db.engine)
    with db.session() as s:
        user = create_user(s, f"bench-flagger-{secrets.token_hex(3)}", "analyst", "correct-horse-battery")
        token = issue_token(s, user, "bench", ["flagger"])
    db.engine.dispose()
    return token


def _stored(database_url: str, run: str) -> int:
    from sqlalchemy import func, select

    from mamoru.db import Database
    from mamoru.hotline.models import Report

    db = Database.from_url(database_url)
    with db.session() as s:
        n = s.scalar(select(func.count()).select_from(Report).where(Report.client_key.like(f"{run}-%"))) or 0
    db.engine.dispose()
    return n


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status


async def _load(base: str, token: str, rate: float, seconds: float, run: str, connections: int = 64) -> Outcome:
    """Open loop: request i is due at t0 + i/rate and waits in a queue for a free keep-alive connection;
    latency counts from when it was due (so a slow server cannot hide behind a slow client). A plain
    HTTP/1.1 writer keeps the load generator's own CPU use small on a 2-core machine."""
    out = Outcome()
    host, port = base.removeprefix("http://").split(":")
    queue: asyncio.Queue[tuple[int, float] | None] = asyncio.Queue()

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        while (job := await queue.get()) is not None:
            i, due = job
            key = f"{run}-{i}"
            body = json.dumps({"url": f"http://bench-{i % 5000}.example.test/item/{i}?run={run}",
                               "content_type": "image", "where_found": "load test", "client_key": key}).encode()
            writer.write(b"POST /api/v1/hotline/reports HTTP/1.1\r\nHost: " + host.encode() +
                         b"\r\nAuthorization: Bearer " + token.encode() +
                         b"\r\nContent-Type: application/json\r\nContent-Length: " + str(len(body)).encode() +
                         b"\r\n\r\n" + body)
            try:
                await writer.drain()
                status = await asyncio.wait_for(_read_response(reader), 60)
            except (TimeoutError, OSError, asyncio.IncompleteReadError) as exc:
                out.errors += 1
                out.error_samples.append(type(exc).__name__)
                writer.close()
                reader, writer = await asyncio.open_connection(host, int(port))
                continue
            out.latencies_ms.append((time.perf_counter() - due) * 1000)
            if status == 201:
                out.accepted += 1
                out.keys.append(key)
            elif status in (429, 503):
                out.refused += 1
            else:
                out.errors += 1
                out.error_samples.append(str(status))
        writer.close()

    workers = [asyncio.create_task(connection()) for _ in range(connections)]
    t0 = time.perf_counter()
    for i in range(int(rate * seconds)):
        due = t0 + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        elif delay < -0.05:
            out.late_starts += 1
        queue.put_nowait((i, due))
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    return out


def _pct(xs: list[float], p: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    k = (len(xs) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def run(rate: float, seconds: float, database_url: str | None, workers: int) -> dict[str, object]:
    tmp = Path(tempfile.mkdtemp(prefix="mamoru-bench-intake-"))
    url = database_url or f"sqlite:///{tmp / 'bench.db'}"
    token = _prepare(url)
    port = _free_port()
    env = {**os.environ, "MAMORU_DATABASE_URL": url, "MAMORU_VAR_DIR": str(tmp / "var"), "MAMORU_SECRET_KEY": "bench",
           "MAMORU_HOTLINE_FLAGGER_RATE": f"{int(rate * seconds * 2) + 1000}/60"}
    proc = subprocess.Popen([sys.executable, "-m", "mamoru.cli", "serve", "--port", str(port), "--workers", str(workers)],
                            env=env, stdout=subprocess.DEVNULL, stderr=open(tmp / "server.log", "w"))
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(base + "/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("server did not start")
            time.sleep(0.2)
        run_id = secrets.token_hex(4)
        started = time.perf_counter()
        out = asyncio.run(_load(base, token, rate, seconds, run_id))
        elapsed = time.perf_counter() - started
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            print(f"server did not stop; see {tmp / 'server.log'}", file=sys.stderr)
            proc.kill()
            proc.wait()
    stored = _stored(url, run_id)
    return {
        "sent": int(rate * seconds), "accepted": out.accepted, "stored": stored, "lost": out.accepted - stored,
        "refused": out.refused, "errors": out.errors, "late_starts": out.late_starts,
        "elapsed_s": round(elapsed, 1), "achieved_per_s": round(out.accepted / elapsed, 1) if elapsed else 0,
        "p50_ms": round(_pct(out.latencies_ms, 50), 1), "p99_ms": round(_pct(out.latencies_ms, 99), 1),
        "max_ms": round(max(out.latencies_ms, default=float("nan")), 1),
        "database": url.split(":", 1)[0], "workers": workers,
        "error_samples": sorted(set(out.error_samples))[:5],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rate", type=float, default=200.0, help="reports per second (default 200)")
    ap.add_argument("--seconds", type=float, default=60.0, help="duration (default 60)")
    ap.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    ap.add_argument("--workers", type=int, default=1, help="server processes (default 1)")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    args = ap.parse_args(argv)
    result = run(args.rate, args.seconds, args.database_url, args.workers)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"# bench/intake.py --rate {args.rate:g} --seconds {args.seconds:g}  python {platform.python_version()}, "
              f"{os.cpu_count()} CPUs, database {result['database']}, {args.workers} server process(es)")
        for k, v in result.items():
            print(f"{k:>15}: {v}")
    return 0 if result["lost"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
