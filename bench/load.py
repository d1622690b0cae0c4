"""Mixed load on one `mamoru serve` over loopback for a bounded time.

A stated rate per endpoint (open loop: requests are started on schedule, not after the previous one
answers): public reports through the web form, match queries (10 PDQ hashes each, platform token),
blocklist feed fetches (RPZ snapshot, subscriber token) and dashboard views (the follow-up page as a
coordinator). Prints per endpoint: sent, answered per second, p50/p99 latency, errors; for reports
also accepted versus stored in the database afterwards (lost must be 0).

    .venv/bin/python bench/load.py --seconds 30 [--database-url URL] [--workers N] [--scale 1.0]
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--scale", type=float, default=1.0, help="Multiply every rate by this.")
    args = ap.parse_args(argv)
    result = run(args.seconds, args.database_url, args.workers, args.scale)
    print(json.dumps(result, indent=1, ensure_ascii=False))
    bad = result["endpoints"]["report"]["lost"] != 0 or any(e["errors"] for e in result["endpoints"].values())
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
