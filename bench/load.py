"""Mixed load on one `mamoru serve` over loopback for a bounded time.

A stated rate per endpoint (open loop: requests are started on schedule, not after the previous one
answers): public reports through the web form, match queries (10 PDQ hashes each, platform token),
blocklist feed fetches (RPZ snapshot, subscriber token) and dashboard views (the follow-up page as a
coordinator). Prints per endpoint: sent, answered per second, p50/p99 latency, errors; for reports
also accepted versus stored in the database afterwards (lost must be 0).

    .venv/bin/python bench/load.py --seconds 30 [--database-url URL] [--workers N] [--scale 1.0]

`--sweep` measures instead the two public doors in the production layout, each on ONE server process
of its own role on PostgreSQL, each as its own database user (`mamoru db roles --apply`): the public
report form (`mamoru serve --role intake`, POST /report) and 10-hash matches (`mamoru serve --role
matcher`, POST /api/v1/match with a platform's token). For each number of concurrent clients (closed
loop: every client sends its next request when the previous one has answered, on its own keep-alive
connection) it prints requests, 2xx, 503, other 5xx, client timeouts and p50/p95/p99 latency:

    .venv/bin/python bench/load.py --sweep 10,25,50,100,200 --step-seconds 20 \
        --database-url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

RATES = {"report": 20.0, "match": 20.0, "feed": 5.0, "dashboard": 5.0}  # requests per second
PASSWORD = "correct-horse-battery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli(env: dict[str, str], *args: str) -> str:
    r = subprocess.run([sys.executable, "-m", "mamoru.cli", *args], env=env, capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        raise SystemExit(f"mamoru {' '.join(args)} failed: {r.stderr}")
    return r.stdout.strip()


def prepare(env: dict[str, str], tmp: Path) -> dict[str, str]:
    cli(env, "db", "upgrade")
    cli(env, "plan", "load")
    for name, role in (("coord", "coordinator"), ("plat", "platform"), ("sub", "subscriber"), ("ana", "analyst"),
                       ("sen", "senior_analyst")):
        cli(env, "user", "add", name, "--role", role)
    tokens = {"plat": cli(env, "token", "create", "plat", "--scopes", "match").split()[-1],
              "sub": cli(env, "token", "create", "sub", "--scopes", "feed").split()[-1]}
    cli(env, "bank", "create", "load")
    hashes = tmp / "hashes.txt"
    hashes.write_text("".join(secrets.token_hex(32) + "\n" for _ in range(5000)))
    cli(env, "bank", "import", "load", str(hashes), "--format", "lines")
    cli(env, "bank", "choose", "plat", "load")
    entry = cli(env, "blocklist", "propose", "--host", "load.example.test", "--as", "ana", "--reason", "bench").split()[-1]
    cli(env, "blocklist", "confirm", entry, "--as", "sen")
    cli(env, "blocklist", "publish")
    return tokens


class Endpoint:
    def __init__(self, name: str) -> None:
        self.name, self.lock = name, threading.Lock()
        self.latencies: list[float] = []
        self.sent = self.errors = self.accepted = 0
        self.samples: set[str] = set()

    def record(self, started: float, ok: bool, note: str = "") -> None:
        with self.lock:
            self.latencies.append((time.perf_counter() - started) * 1000)
            if ok:
                self.accepted += 1
            else:
                self.errors += 1
                self.samples.add(note[:120])


def pct(xs: list[float], p: float) -> float:
    if not xs:
        return float("nan")
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def run(seconds: float, database_url: str | None, workers: int, scale: float) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="mamoru-bench-load-"))
    url = database_url or f"sqlite:///{tmp / 'load.db'}"
    env = {**os.environ, "MAMORU_DATABASE_URL": url, "MAMORU_VAR_DIR": str(tmp / "var"), "MAMORU_SECRET_KEY": "load",
           "MAMORU_NEW_PASSWORD": PASSWORD, "MAMORU_HOTLINE_PUBLIC_RATE": "1000000/60", "MAMORU_MATCH_RATE": "1000000/60"}
    tokens = prepare(env, tmp)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "mamoru.cli", "serve", "--port", str(port), "--workers", str(workers)],
                            env=env, stdout=subprocess.DEVNULL, stderr=open(tmp / "server.log", "w"))
    run_id = secrets.token_hex(4)
    stats = {name: Endpoint(name) for name in RATES}
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("server did not start")
            time.sleep(0.2)
        public = httpx.Client(base_url=base, timeout=30)
        form_token = re.search(r'name="csrf_token" value="([^"]+)"', public.get("/report").text).group(1)  # type: ignore[union-attr]
        office = httpx.Client(base_url=base, timeout=30)
        login_token = re.search(r'name="csrf_token" value="([^"]+)"', office.get("/login").text).group(1)  # type: ignore[union-attr]
        office.post("/login", data={"username": "coord", "password": PASSWORD, "csrf_token": login_token, "next": "/"})
        api = httpx.Client(base_url=base, timeout=30)
        counter = iter(range(10**9))
        counter_lock = threading.Lock()

        def report() -> None:
            with counter_lock:
                n = next(counter)
            t = time.perf_counter()
            try:
                r = public.post("/report", data={"csrf_token": form_token, "url": f"http://load-{run_id}.example.test/r/{n}"},
                                follow_redirects=False)
                stats["report"].record(t, r.status_code in (200, 303), f"{r.status_code} {r.text[:80]}")
            except httpx.HTTPError as exc:
                stats["report"].record(t, False, repr(exc))

        def match() -> None:
            t = time.perf_counter()
            try:
                r = api.post("/api/v1/match", headers={"Authorization": f"Bearer {tokens['plat']}"},
                             json={"hashes": [secrets.token_hex(32) for _ in range(10)]})
                stats["match"].record(t, r.status_code == 200, f"{r.status_code} {r.text[:80]}")
            except httpx.HTTPError as exc:
                stats["match"].record(t, False, repr(exc))

        def feed() -> None:
            t = time.perf_counter()
            try:
                r = api.get("/api/v1/blocklist/snapshots/rpz", headers={"Authorization": f"Bearer {tokens['sub']}"})
                stats["feed"].record(t, r.status_code == 200, f"{r.status_code} {r.text[:80]}")
            except httpx.HTTPError as exc:
                stats["feed"].record(t, False, repr(exc))

        def dashboard() -> None:
            t = time.perf_counter()
            try:
                r = office.get("/followup")
                stats["dashboard"].record(t, r.status_code == 200, f"{r.status_code} {r.text[:80]}")
            except httpx.HTTPError as exc:
                stats["dashboard"].record(t, False, repr(exc))

        actions = {"report": report, "match": match, "feed": feed, "dashboard": dashboard}
        schedule = sorted((i / (RATES[name] * scale), name) for name in RATES
                          for i in range(int(RATES[name] * scale * seconds)))
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=64) as pool:
            for at, name in schedule:
                delay = at - (time.perf_counter() - started)
                if delay > 0:
                    time.sleep(delay)
                stats[name].sent += 1
                pool.submit(actions[name])
        elapsed = time.perf_counter() - started
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    stored = stored_reports(url, run_id)
    out: dict[str, Any] = {"seconds": round(elapsed, 1), "database": url.split(":", 1)[0], "workers": workers,
                           "endpoints": {}}
    for name, e in stats.items():
        out["endpoints"][name] = {
            "rate_per_s": RATES[name] * scale, "sent": e.sent, "ok": e.accepted, "errors": e.errors,
            "ok_per_s": round(e.accepted / elapsed, 1), "p50_ms": round(pct(e.latencies, 50), 1),
            "p99_ms": round(pct(e.latencies, 99), 1), "error_samples": sorted(e.samples)[:3]}
    out["endpoints"]["report"].update({"stored": stored, "lost": stats["report"].accepted - stored})
    return out


def stored_reports(url: str, run_id: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as c:
        n = c.execute(text("SELECT count(*) FROM hl_reports WHERE url LIKE :p"), {"p": f"%load-{run_id}.%"}).scalar_one()
    engine.dispose()
    return int(n)


SWEEP_STEPS = (10, 25, 50, 100, 200)


class Step:
    """What one endpoint answered at one number of concurrent clients."""

    def __init__(self, clients: int) -> None:
        self.clients = clients
        self.latencies: list[float] = []
        self.codes: dict[int, int] = {}
        self.timeouts = self.broken = 0

    def row(self) -> dict[str, Any]:
        ok = sum(n for c, n in self.codes.items() if 200 <= c < 400)
        busy = self.codes.get(503, 0)
        other5 = sum(n for c, n in self.codes.items() if c >= 500 and c != 503)
        return {"clients": self.clients, "requests": sum(self.codes.values()) + self.timeouts + self.broken,
                "2xx": ok, "503": busy, "5xx_other": other5,
                "4xx": sum(n for c, n in self.codes.items() if 400 <= c < 500),
                "timeouts": self.timeouts, "broken": self.broken,
                "p50_ms": round(pct(self.latencies, 50), 1), "p95_ms": round(pct(self.latencies, 95), 1),
                "p99_ms": round(pct(self.latencies, 99), 1)}


async def _read_response(reader: Any) -> tuple[int, dict[str, str], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)}
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
            parts.append(await reader.readexactly(size + 2))
            if size == 0:
                break
        body = b"".join(parts)
    else:
        body = await reader.read()
    return status, headers, body


async def _client(port: int, request: Any, deadline: float, timeout: float, step: Step) -> None:
    """One client on its own keep-alive connection: a request, wait for the answer, the next one. A
    503 is honoured as a polite client would: it waits Retry-After seconds (at most 1) first."""
    import asyncio

    reader = writer = None
    while time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)
            writer.write(request())
            status, headers, _ = await asyncio.wait_for(_read_response(reader), timeout)
        except TimeoutError:
            step.timeouts += 1
            step.latencies.append(timeout * 1000)
            status, headers = 0, {"connection": "close"}
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            step.broken += 1
            status, headers = 0, {"connection": "close"}
        else:
            step.latencies.append((time.perf_counter() - started) * 1000)
            step.codes[status] = step.codes.get(status, 0) + 1
        if headers.get("connection", "").lower() == "close" and writer is not None:
            writer.close()
            reader = writer = None
        if status == 503:
            try:
                wait = min(1.0, float(headers.get("retry-after", "1")))
            except ValueError:
                wait = 1.0
            await asyncio.sleep(max(0.0, min(wait, deadline - time.monotonic())))
    if writer is not None:
        writer.close()


def _drive(port: int, request: Any, clients: int, seconds: float, timeout: float) -> Step:
    import asyncio

    step = Step(clients)

    async def all_clients() -> None:
        deadline = time.monotonic() + seconds
        await asyncio.gather(*(_client(port, request, deadline, timeout, step) for _ in range(clients)))

    asyncio.run(all_clients())
    return step


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_healthy(base: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(base + "/api/v1/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"server did not start: {log.read_text()[-2000:]}")
        time.sleep(0.2)


def sweep(steps: tuple[int, ...], step_seconds: float, database_url: str, timeout: float = 10.0) -> dict[str, Any]:
    """The production layout on a fresh PostgreSQL database next to `database_url`'s: an intake and a
    matcher process, each `mamoru serve --role ROLE` (one uvicorn process) as its own database user."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from mamoru.db import normalize_url
    from mamoru.separation import drop_roles_sql

    tmp = Path(tempfile.mkdtemp(prefix="mamoru-bench-sweep-"))
    admin = create_engine(normalize_url(database_url), isolation_level="AUTOCOMMIT")
    name, prefix = f"mamoru_sweep_{secrets.token_hex(4)}", f"msweep_{secrets.token_hex(3)}"
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    owner_url = make_url(normalize_url(database_url)).set(database=name)

    def as_user(user: str) -> str:
        return owner_url.set(username=user, password=None).render_as_string(hide_password=False)

    env = {**os.environ, "MAMORU_DATABASE_URL": owner_url.render_as_string(hide_password=False),
           "MAMORU_VAR_DIR": str(tmp / "var"), "MAMORU_SECRET_KEY": "load", "MAMORU_NEW_PASSWORD": PASSWORD}
    procs: list[subprocess.Popen[bytes]] = []
    out: dict[str, Any] = {"database": "postgresql", "step_seconds": step_seconds, "client_timeout_s": timeout,
                           "intake": [], "match": []}
    try:
        tokens = prepare(env, tmp)
        cli(env, "db", "roles", "--prefix", prefix, "--role", "intake", "--role", "matcher", "--apply")
        cli(env, "hotline", "contact-key", "--public-out", str(tmp / "contact.pub"))
        ports = {"intake": free_port(), "matcher": free_port()}
        role_env = {
            "intake": {"MAMORU_DATABASE_URL": as_user(f"{prefix}_intake"), "MAMORU_VAR_DIR": str(tmp / "var-intake"),
                       "MAMORU_HOTLINE_CONTACT_PUBLIC_KEY": str(tmp / "contact.pub"),
                       "MAMORU_HOTLINE_PUBLIC_RATE": "100000000/60"},
            "matcher": {"MAMORU_DATABASE_URL": as_user(f"{prefix}_matcher"),
                        "MAMORU_VAR_DIR": str(tmp / "var-matcher"), "MAMORU_MATCH_RATE": "100000000/60"}}
        for role, port in ports.items():
            log = tmp / f"{role}.log"
            e = {**env, **role_env[role], "MAMORU_ROLE": role}
            procs.append(subprocess.Popen([sys.executable, "-m", "mamoru.cli", "serve", "--role", role,
                                           "--port", str(port)], env=e, stdout=subprocess.DEVNULL,
                                          stderr=open(log, "w")))
            _wait_healthy(f"http://127.0.0.1:{port}", procs[-1], log)
        form = httpx.get(f"http://127.0.0.1:{ports['intake']}/report", timeout=10)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
        cookie = f"mamoru_csrf={form.cookies['mamoru_csrf']}"
        run_id = secrets.token_hex(4)
        serial = iter(range(10**9))

        def report_request() -> bytes:
            from urllib.parse import urlencode

            body = urlencode({"csrf_token": csrf, "url": f"http://sweep-{run_id}.example.test/r/{next(serial)}"})
            return (f"POST /report HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n"
                    f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n"
                    f"{body}").encode()

        def match_request() -> bytes:
            raw = os.urandom(320).hex()
            body = json.dumps({"hashes": [raw[i:i + 64] for i in range(0, 640, 64)]})
            return (f"POST /api/v1/match HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {tokens['plat']}\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n{body}").encode()

        for endpoint, port, request in (("intake", ports["intake"], report_request),
                                        ("match", ports["matcher"], match_request)):
            out[f"{endpoint}_warmup_2xx"] = _drive(port, request, 5, 2, timeout).row()["2xx"]  # warm-up: 5 clients, 2 s
            pid = procs[list(ports).index("intake" if endpoint == "intake" else "matcher")].pid
            for clients in steps:
                cpu = _cpu_seconds(pid)
                row = _drive(port, request, clients, step_seconds, timeout).row()
                row["server_cpu_ms_per_request"] = round((_cpu_seconds(pid) - cpu) * 1000 / max(1, row["2xx"]), 2)
                out[endpoint].append(row)
                print(f"{endpoint:7} {_format(row)}", file=sys.stderr, flush=True)
        out["shutdown"] = {}
        for role, p in zip(ports, procs, strict=True):  # SIGTERM: uvicorn shuts down, the matcher flushes its counters
            p.terminate()
            try:
                p.wait(timeout=30)
                out["shutdown"][role] = "clean"
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
                out["shutdown"][role] = "killed after 30 s"
        engine = create_engine(owner_url)
        with engine.connect() as c:
            out["intake_stored"] = int(c.execute(text("SELECT count(*) FROM hl_inbox")).scalar_one())
            out["match_queries_counted"] = int(c.execute(text("SELECT coalesce(sum(queries), 0) "
                                                              "FROM match_query_counts")).scalar_one())
        engine.dispose()
        out["intake_accepted"] = sum(r["2xx"] for r in out["intake"]) + out["intake_warmup_2xx"]
        out["match_answered"] = sum(r["2xx"] for r in out["match"]) + out["match_warmup_2xx"]
        out["server_errors_logged"] = {role: sum(1 for ln in (tmp / f"{role}.log").read_text().splitlines()
                                                 if "Traceback" in ln) for role in ports}
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        with admin.connect() as c:
            c.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' "
                           "AND pid <> pg_backend_pid()"))
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            for stmt in drop_roles_sql(prefix):
                c.execute(text(stmt))
        admin.dispose()
    return out


def _format(row: dict[str, Any]) -> str:
    return (f"{row['clients']:>7} {row['requests']:>8} {row['2xx']:>7} {row['503']:>6} {row['5xx_other']:>9} "
            f"{row['timeouts']:>8} {row['p50_ms']:>9.1f} {row['p95_ms']:>9.1f} {row['p99_ms']:>9.1f} "
            f"{row.get('server_cpu_ms_per_request', float('nan')):>9.2f}")


def print_sweep(result: dict[str, Any]) -> None:
    print(f"PostgreSQL, one server process per role, {result['step_seconds']:g} s per step, closed loop, "
          f"client timeout {result['client_timeout_s']:g} s")
    print(f"{'door':7} {'clients':>7} {'requests':>8} {'2xx':>7} {'503':>6} {'5xx other':>9} {'timeouts':>8} "
          f"{'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9} {'CPU ms/ok':>9}")
    for endpoint in ("intake", "match"):
        for row in result[endpoint]:
            print(f"{endpoint:7} {_format(row)}")
    print(f"intake: {result['intake_accepted']} reports accepted (warm-up included), "
          f"{result['intake_stored']} rows in hl_inbox")
    print(f"match: {result['match_answered']} matches of 10 hashes answered (warm-up included), "
          f"{result['match_queries_counted']} hashes counted in match_query_counts")
    print(f"tracebacks in the server logs: {result['server_errors_logged']}; shutdown: {result['shutdown']}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--scale", type=float, default=1.0, help="Multiply every rate by this.")
    ap.add_argument("--sweep", default=None, help="Concurrency steps, e.g. 10,25,50,100,200 (needs PostgreSQL).")
    ap.add_argument("--step-seconds", type=float, default=20)
    ap.add_argument("--client-timeout", type=float, default=10)
    args = ap.parse_args(argv)
    if args.sweep is not None:
        if not args.database_url or not args.database_url.startswith("postgres"):
            ap.error("--sweep needs --database-url postgresql://... (the production layout)")
        steps = tuple(int(n) for n in args.sweep.split(",")) if args.sweep else SWEEP_STEPS
        res = sweep(steps, args.step_seconds, args.database_url, args.client_timeout)
        print_sweep(res)
        print(json.dumps(res, ensure_ascii=False))
        bad = any(r["5xx_other"] or r["timeouts"] or r["broken"] for e in ("intake", "match") for r in res[e])
        return 1 if bad else 0
    result = run(args.seconds, args.database_url, args.workers, args.scale)
    print(json.dumps(result, indent=1, ensure_ascii=False))
    bad = result["endpoints"]["report"]["lost"] != 0 or any(e["errors"] for e in result["endpoints"].values())
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
