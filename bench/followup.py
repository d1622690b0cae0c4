"""Follow-up benchmark: 88 measures (one to nine agencies each, about 300 entries a round) x 10 rounds.

Prints the p95 time of the coordinator dashboard, the public portal home and report generation (HTML
and PDF), the public indicator pages, a measure's history and the open data downloads (ten years:
ten rounds, indicators with ten years of values), on SQLite and, when MAMORU_TEST_POSTGRES_URL (or
--postgres URL) is given, PostgreSQL. Target on a 2-core machine: dashboard and portal p95 under
100 ms; the indicator pages, the measure history and open data under 150 ms. Each part of the
follow-up that adds its own timings does so in a function of its own (`time_indicator_pages`,
`record_timings`), called from run().

    .venv/bin/python bench/followup.py [--requests 40] [--postgres postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from mamoru.auth.service import create_user
from mamoru.composition import all_settings_classes
from mamoru.config import Settings
from mamoru.db import Database, normalize_url
from mamoru.followup import indicator_rules as rules
from mamoru.followup import indicator_values as ivals
from mamoru.followup import indicators as isvc
from mamoru.followup import meetings
from mamoru.followup.demo import fill
from mamoru.followup.models import ReportingRound, RoundEntry
from mamoru.followup.reference import load_reference
from mamoru.followup.report import render
from mamoru.migrate import upgrade
from mamoru.plan.models import Agency, Measure
from mamoru.web.app import as_served, create_app

PASSWORD = "bench-password-123"


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18] if len(samples) >= 20 else max(samples)


def timed(fn, n: int) -> list[float]:  # type: ignore[no-untyped-def]
    fn()  # warm up
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def _action_items(session: Session, n: int) -> None:
    """n action items over 30 meetings, owners and measures drawn from the filled plan, half of them past due."""
    agencies = list(session.scalars(select(Agency.code)))
    uids = list(session.scalars(select(Measure.uid)))
    for k in range(30):
        m = meetings.record_meeting(session, None, date(2015 + k % 10, 6, 1), f"Meeting {k}", f"第{k}回会議",
                                    ["dg-liaison-meeting"], k + 1)
        for i in range(n // 30):
            due = date(2020, 1, 1) + timedelta(days=(k * 97 + i * 131) % 4000)
            meetings.add_action(session, None, m, f"Item {i}", f"対応{i}", uids[(k + i) % len(uids)],
                                agencies[(k + i) % len(agencies)], due)


BENCH_INDICATOR = "bench-by-prefecture"


def _indicator_years(db: Database, years: range) -> int:
    """The shipped indicators, plus one counted by prefecture and sex with a value for every year of
    `years` (total, 47 prefectures, 2 sexes), each entered by one coordinator and approved by another,
    and a provisional value corrected by a final one each year. Returns how many values it holds."""
    with db.session() as s:
        load_reference(s)
        office, second = (create_user(s, name, "coordinator", PASSWORD) for name in ("bench-enters", "bench-approves"))
        ind = isvc.define_indicator(s, office, BENCH_INDICATOR, {
            "title_en": "Generated indicator by prefecture (benchmark)", "title_ja": "生成した都道府県別指標（ベンチマーク）",
            "unit_en": "children", "unit_ja": "人", "breakdown": ["prefecture", "sex"], "target_value": 1000})
        for year in years:
            first = ivals.add_value(s, office, ind, str(year), 1200 + year % 7, "provisional", "generated (provisional)")
            ivals.approve_value(s, second, ind, first)
            fix = ivals.add_value(s, office, ind, str(year), 1210 + year % 7, "final", "generated", corrects=first.id)
            ivals.approve_value(s, second, ind, fix)
            for category in rules.categories(["prefecture", "sex"]):
                v = ivals.add_value(s, office, ind, str(year), (year * 31 + len(category)) % 90, "final", "generated",
                                    category=category)
                ivals.approve_value(s, second, ind, v)
        return len(ind.values)


def time_indicator_pages(db: Database, client: TestClient, n: int) -> dict[str, list[float]]:
    """The public indicator page and its CSV and JSON downloads, with ten years of data (target: p95 under
    150 ms on PostgreSQL)."""
    held = _indicator_years(db, range(2015, 2025))
    print(f"  indicator {BENCH_INDICATOR}: {held} values over ten years (47 prefectures, 2 sexes, corrections)")
    base = f"/portal/indicators/{BENCH_INDICATOR}"
    return {
        "indicator page (public)": timed(lambda: client.get(base).raise_for_status(), n),
        "indicator CSV download": timed(lambda: client.get(f"{base}/data.csv").raise_for_status(), n),
        "indicator JSON download": timed(lambda: client.get(f"{base}/data.json").raise_for_status(), n),
    }


def _settings(tmp: Path, url: str) -> Settings:
    """Settings as a process builds them (every domain's, from MAMORU_* variables), state in `tmp`."""
    return Settings.from_env({"MAMORU_VAR_DIR": str(tmp), "MAMORU_DATABASE_URL": url, "MAMORU_SECRET_KEY": "bench",
                              "MAMORU_MAIL_BACKEND": "memory", "MAMORU_AUDIT_KEY": str(tmp / "keys" / "audit.key")},
                             domain_classes=all_settings_classes())


def _record_world(session: Session) -> tuple[str, int]:
    """The measure with the most agencies (the longest history), an indicator measuring it with ten years
    of monthly values, an erratum on the newest published round; returns (measure uid, that round's id)."""
    from mamoru.followup.errata import add_erratum
    from mamoru.followup.indicators import define_indicator
    from mamoru.plan.models import MeasureAssignment

    uid = session.execute(select(Measure.uid).join(MeasureAssignment).group_by(Measure.uid)
                          .order_by(func.count().desc(), Measure.uid).limit(1)).scalar_one()
    ind = define_indicator(session, None, "bench-history", {"title_ja": "施策の指標（ベンチ）", "measures": [uid],
                                                          "periodicity": "monthly"})
    enters, approves = (create_user(session, name, "coordinator", PASSWORD) for name in ("hist-enters", "hist-approves"))
    for year in range(2014, 2024):
        for month in range(1, 13):
            v = ivals.add_value(session, enters, ind, f"{year}-{month:02d}", year * 10 + month, source="bench")
            ivals.approve_value(session, approves, ind, v)
    published = session.scalar(select(ReportingRound).where(ReportingRound.state == "published")
                               .order_by(ReportingRound.id.desc()))
    entry = session.scalar(select(RoundEntry).join(Measure, RoundEntry.measure_id == Measure.id)
                           .where(RoundEntry.round_id == published.id, Measure.uid == uid,
                                  RoundEntry.state == "accepted").limit(1))
    add_erratum(session, None, published, reason="bench", text_ja="訂正（ベンチ）", entry_key=entry.key if entry else None)
    return uid, published.id


def record_timings(client: TestClient, uid: str, round_id: int, n: int) -> dict[str, list[float]]:
    """A measure's history (staff page, portal page, JSON) and the open data downloads."""
    def get(path: str):  # type: ignore[no-untyped-def]
        return lambda: client.get(path).raise_for_status()

    return {
        "measure history (staff)": timed(get(f"/measures/{uid}"), n),
        "measure history (portal)": timed(get(f"/portal/measures/{uid}"), n),
        "measure history JSON": timed(get(f"/api/v1/measures/{uid}/history"), n),
        "open data page": timed(get("/portal/data"), n),
        "open data round CSV": timed(get(f"/portal/data/round-{round_id}.csv"), n),
        "open data round JSON": timed(get(f"/portal/data/round-{round_id}.json"), n),
        "open data plan CSV": timed(get("/portal/data/plan.csv"), n),
        "open data indicators CSV": timed(get("/portal/data/indicators.csv"), n),
    }


def run(url: str, label: str, n: int, tmp: Path) -> None:
    db = Database.from_url(url)
    upgrade(db.engine)
    t0 = time.perf_counter()
    with db.session() as s:
        fill(s, measures=88, rounds=10)
        create_user(s, "bench-office", "coordinator", PASSWORD)
        _action_items(s, 300)
        history_uid, errata_round = _record_world(s)
    with db.session() as s:
        newest = s.scalar(select(ReportingRound).order_by(ReportingRound.id.desc()))
        published = s.scalar(select(ReportingRound).where(ReportingRound.state == "published").order_by(ReportingRound.id.desc()))
        per_round = s.scalar(select(func.count()).where(RoundEntry.round_id == newest.id))
        total = s.scalar(select(func.count()).select_from(RoundEntry))
    print(f"[{label}] filled 88 measures x 10 rounds: {per_round} entries a round, {total} in all "
          f"({time.perf_counter() - t0:.1f} s)")
    app = as_served(create_app(_settings(tmp, url), db))  # as `mamoru serve` runs it
    with TestClient(app) as client:
        page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        client.post("/login", data={"username": "bench-office", "password": PASSWORD, "csrf_token": token, "next": "/"})
        results = {
            "coordinator dashboard": timed(lambda: client.get(f"/followup/rounds/{newest.id}").raise_for_status(), n),
            "portal home": timed(lambda: client.get("/portal").raise_for_status(), n),
            "indicators API (public)": timed(lambda: client.get("/api/v1/followup/indicators").raise_for_status(), n),
            "action items page (300)": timed(lambda: client.get("/followup/actions").raise_for_status(), n),
        }
        results.update(time_indicator_pages(db, client, n))
        results.update(record_timings(client, history_uid, errata_round, n))
    with db.session() as s:
        r = s.get(ReportingRound, published.id)
        results["report html (ja)"] = timed(lambda: render(s, r, "ja", "html"), max(5, n // 4))
        results["report pdf (ja)"] = timed(lambda: render(s, r, "ja", "pdf"), 3)
    for name, samples in results.items():
        target = "  (target < 100 ms)" if name in ("coordinator dashboard", "portal home") else \
            "  (target < 150 ms)" if name.startswith(("indicator ", "measure history", "open data")) else ""
        print(f"[{label}] {name:26s} p95 {p95(samples):8.1f} ms   median {statistics.median(samples):8.1f} ms{target}")
    db.engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--requests", type=int, default=40)
    ap.add_argument("--postgres", default=os.environ.get("MAMORU_TEST_POSTGRES_URL"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{tmp}/bench.db", "sqlite", args.requests, Path(tmp))
        if args.postgres:
            admin = create_engine(normalize_url(args.postgres), isolation_level="AUTOCOMMIT")
            name = f"mamoru_bench_{uuid.uuid4().hex[:8]}"
            with admin.connect() as c:
                c.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                run(normalize_url(args.postgres).rsplit("/", 1)[0] + f"/{name}", "postgresql", args.requests, Path(tmp))
            finally:
                with admin.connect() as c:
                    c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        else:
            print("PostgreSQL skipped: set MAMORU_TEST_POSTGRES_URL or pass --postgres URL")


if __name__ == "__main__":
    main()
