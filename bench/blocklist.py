"""Blocking list benchmark: compile, size, delta and URL checks at 1,000,000 entries.

Run: .venv/bin/python bench/blocklist.py [--entries 1000000] [--urls 50000] [--repeat 3]

Prints, in one run: the time to compile each format (median and spread of --repeat runs after a
warm-up), the size of each, the time to build (and serialise) a delta of 1,000 changes, and URL
checks per second on one core (the process is pinned to one CPU) against the plaintext list and the
hashed form, including canonicalisation and lookup expressions, beside a plain Python set lookup of
the same URL strings (no canonicalisation) as the baseline.
Targets (issue 6): all formats compiled in under 10 s in total; >= 30,000 checks/s per core.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from mamoru import __version__
from mamoru.blocklist.checker import Checker, HashedChecker
from mamoru.blocklist.compiler import FORMATS, ListedEntry, compile_format
from mamoru.blocklist.delta import make_delta

TLDS = ["com", "net", "jp", "org", "info", "co.jp", "xyz"]
WORDS = ["img", "pics", "share", "host", "files", "cdn", "up", "box", "free", "gal"]


def make_entries(n: int, rng: random.Random) -> list[ListedEntry]:
    """Half URL entries, 30% hosts, 20% domains; unique, already canonical values."""
    out: list[ListedEntry] = []
    for i in range(1, n + 1):
        r = i % 10
        site = f"{rng.choice(WORDS)}{i:x}.{rng.choice(TLDS)}"
        if r < 5:
            value = f"http://{rng.choice(['', 'www.', 'm.'])}{site}/{rng.choice(WORDS)}/{i}/{rng.getrandbits(32):x}.html"
            out.append(ListedEntry(i, "url", value, "csam"))
        elif r < 8:
            out.append(ListedEntry(i, "host", f"{rng.choice(WORDS)}.{site}", "csam"))
        else:
            out.append(ListedEntry(i, "domain", site, "csam"))
    return out


def make_queries(entries: list[ListedEntry], n: int, rng: random.Random) -> list[str]:
    """A realistic mix: 10% listed URLs, 10% pages under listed hosts/domains, 80% unlisted pages."""
    listed_urls = [e.value for e in entries if e.kind == "url"]
    names = [e.value for e in entries if e.kind != "url"]
    out = []
    for i in range(n):
        r = rng.random()
        if r < 0.1:
            out.append(rng.choice(listed_urls))
        elif r < 0.2:
            out.append(f"https://{rng.choice(['', 'a.'])}{rng.choice(names)}/gallery/{i}.jpg?size=large")
        else:
            out.append(f"https://www.site{rng.getrandbits(40):x}.example.com/{rng.choice(WORDS)}/{i}/page.html?id={i}")
    return out


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float, float, Any]:
    """After one warm-up run: median CPU seconds, their spread (max - min), median wall seconds, result.

    CPU time of this process is what one core spends; wall time also counts waiting for the CPU
    when other processes share the machine, so both are printed."""
    result = fn()
    cpu, wall = [], []
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        result = fn()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return statistics.median(cpu), max(cpu) - min(cpu), statistics.median(wall), result


def rate(fn: Callable[[str], object], queries: list[str], repeat: int) -> tuple[float, float, float]:
    """Checks per CPU second (median), spread of those rates, and checks per wall second (median)."""
    def run() -> None:
        for q in queries:
            fn(q)

    run()
    cpu, wall = [], []
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        run()
        cpu.append(len(queries) / (time.process_time() - c0))
        wall.append(len(queries) / (time.perf_counter() - w0))
    return statistics.median(cpu), max(cpu) - min(cpu), statistics.median(wall)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entries", type=int, default=1_000_000)
    ap.add_argument("--urls", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    print(f"command: {' '.join([sys.executable, *sys.argv])}")
    print(f"mamoru {__version__}, Python {platform.python_version()}, {platform.platform()}, "
          f"{platform.processor() or platform.machine()}, one core (pinned), repeat={args.repeat} after warm-up")
    rng = random.Random(20261128)
    t0 = time.perf_counter()
    entries = make_entries(args.entries, rng)
    print(f"generated {len(entries):,} entries in {time.perf_counter() - t0:.1f} s\n")

    print(f"{'format':8} {'compile CPU s':>14} {'spread':>7} {'wall s':>7} {'size MB':>8} {'bytes/entry':>12}")
    total = 0.0
    artifacts = {}
    for fmt in FORMATS:
        cpu, spread, wall, art = timed(lambda fmt=fmt: compile_format(fmt, entries, 1), args.repeat)
        total += cpu
        artifacts[fmt] = art
        print(f"{fmt:8} {cpu:14.2f} {spread:7.2f} {wall:7.2f} {len(art.data) / 1e6:8.1f} "
              f"{len(art.data) / len(entries):12.1f}")
    print(f"{'all':8} {total:14.2f}   target < 10 s: {'met' if total < 10 else 'NOT MET'}\n")

    changed = entries[500:] + [ListedEntry(args.entries + k, "host", f"new{k}.example.net") for k in range(500)]
    cpu, spread, wall, delta = timed(lambda: make_delta(entries, changed, 1, 2).to_bytes(), args.repeat)
    print(f"delta of 1,000 changes (500 removed, 500 added) over {len(entries):,} entries: "
          f"{cpu:.2f} CPU s (spread {spread:.2f}; wall {wall:.2f} s), {len(delta):,} bytes\n")

    queries = make_queries(entries, args.urls, rng)
    plain = Checker(entries)
    hashed = HashedChecker.from_bytes(artifacts["hashed"].data)
    listed = {e.value for e in entries}
    blocked = sum(plain.check(q) is not None for q in queries)
    assert blocked == sum(hashed.check(q) is not None for q in queries), "hashed and plaintext disagree"
    base = rate(listed.__contains__, queries, args.repeat)
    plain_r = rate(plain.check, queries, args.repeat)
    hashed_r = rate(hashed.check, queries, args.repeat)
    print(f"URL checks, one core, {len(queries):,} URLs ({blocked:,} blocked), median of {args.repeat}:")
    print(f"{'checker':54} {'checks/CPU s':>13} {'spread':>9} {'checks/wall s':>14} {'ratio':>7}")
    for name, (r, sp, w) in (("baseline: Python set, exact string (no canonicalisation)", base),
                             ("mamoru plaintext (canonicalise + expressions)", plain_r),
                             ("mamoru hashed form (canonicalise + SHA-256 prefixes)", hashed_r)):
        print(f"{name:54} {r:13,.0f} {sp:9,.0f} {w:14,.0f} {r / base[0]:7.3f}")
    p_rate, h_rate = plain_r[0], hashed_r[0]
    worst = min(p_rate, h_rate)
    print(f"target >= 30,000 checks/s/core incl. canonicalisation: {'met' if worst >= 30_000 else 'NOT MET'}")


if __name__ == "__main__":
    main()
