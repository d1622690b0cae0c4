"""The production layout, started the way an operator starts it: `scripts/run_production.py` (`make
run-production`) on a fresh PostgreSQL database, from deploy/Procfile and deploy/nginx/mamoru.conf
(tests/production.py), the one layout every end-to-end module shares (tests/e2e/conftest.py).

Through the real nginx: each public path reaches the only process that may serve it (nginx's log
names the upstream), staff pages answer 404 on the public listener without reaching any process and
are served on the staff listener by the office or the hotline, every process is connected to
PostgreSQL as its own role's user, the health check lists the worker's jobs, the report form's rate
limit is per reporter address as nginx forwards it (a forged X-Forwarded-For changes nothing), a
report through the public form reaches the worker, which alerts the police by SMTP, and the office
worker mails each agency officer a round's reminder by SMTP in the officer's language. The files under
deploy/ are also checked against each other and against mamoru (systemd units and Procfile run the
same commands; nginx's body limit is mamoru's).
"""

from __future__ import annotations

import importlib.util
import json
import re
import secrets
import shlex
import subprocess
import sys
import time
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from tests.conftest import TEST_PASSWORD
from tests.e2e.conftest import POLICE, PUBLIC_RATE, unique_host, unique_user
from tests.production import DEPLOY, LAUNCHER, ProductionLayout, free_port, nginx_binary

from mamoru.domain import PROCESS_ROLES
from mamoru.web.app import STATIC_DIR as STATIC
from mamoru.web.limits import MAX_REQUEST_BYTES

STAFF_PATHS = ["/login", "/account", "/hotline", "/followup", "/matching", "/blocklist", "/audit", "/admin/users",
               "/api/v1/me", "/api/v1/users", "/api/v1/hotline/queue", "/api/v1/banks", "/api/v1/blocklist/entries"]


def _client(address: str) -> httpx.Client:
    """A client whose connections come from `address` (any 127.x.y.z is this machine's loopback)."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=10)


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page[:500]
    return found.group(1)


def _report(client: httpx.Client, base: str, url: str, headers: dict[str, str] | None = None,
            **fields: str) -> httpx.Response:
    token = _csrf(client.get(base + "/report").text)
    return client.post(base + "/report", data={"url": url, "csrf_token": token, **fields}, headers=headers or {})


def test_public_paths_reach_the_only_process_that_may_serve_them(layout: ProductionLayout) -> None:
    with _client("127.0.0.2") as c:
        r = c.get(layout.public + "/report")
        assert r.status_code == 200 and 'name="url"' in r.text
        assert layout.answered_by(r) == layout.upstream("intake")
        r = c.get(layout.public + "/report/status")  # the reporters' status lookup: the intake too
        assert r.status_code == 200 and 'name="receipt"' in r.text
        assert layout.answered_by(r) == layout.upstream("intake")
        r = c.post(layout.public + "/api/v1/report/status", json={"receipt": "R261202-ABCD-EFGH-JKMN-PQRS"})
        assert r.status_code == 404 and layout.answered_by(r) == layout.upstream("intake")
        # an indicator's page and downloads read its values as the portal's user (row-level security)
        for path in ("/portal", "/", "/portal/indicators", "/api/v1/plans", "/portal/indicators/cp-victims",
                     "/portal/indicators/cp-victims/data.csv", "/portal/indicators/cp-victims/data.json",
                     "/api/v1/followup/indicators/cp-victims", "/portal/data/indicators.csv"):
            r = c.get(layout.public + path)
            assert r.status_code == 200, path
            assert layout.answered_by(r) == layout.upstream("portal"), path
        # the public pages' Log in goes to the staff listener (MAMORU_STAFF_URL, set by the launcher)
        assert f'href="{layout.staff}/login"' in c.get(layout.public + "/portal").text
        r = c.post(layout.public + "/portal")
        assert r.status_code == 403 and layout.answered_by(r) == "-"  # the portal is read-only at the door too
        assert r.headers.get("server") == "nginx"  # no version (server_tokens off)
        for path in ("/portal", "/api/v1/health", "/report"):  # HEAD, as GET without the body
            r = c.head(layout.public + path)
            assert r.status_code == 200 and r.content == b"", path
        r = c.get(layout.public + "/api/v1/blocklist/keys")
        assert r.status_code == 200 and layout.answered_by(r) == layout.upstream("feed")
        assert c.post(layout.public + "/api/v1/match", json={"hashes": ["0" * 64]}).status_code == 401
        token = layout.token(unique_user(layout, "platform"), "match")
        r = c.post(layout.public + "/api/v1/match", json={"hashes": ["0" * 64]},
                   headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
        assert r.json()["results"] == [{"query": "0" * 64, "matches": []}]
        assert "snapshot_version" in r.json()["answered_by"]  # the matcher's index answered
        assert layout.answered_by(r) == layout.upstream("matcher")
        # bodies and answers larger than nginx's buffers go through its temporary files in the run directory
        big = c.post(layout.public + "/api/v1/match", json={"hashes": ["0" * 64] * 2000},
                     headers={"Authorization": f"Bearer {token}"})
        assert big.status_code == 422 and layout.answered_by(big) == layout.upstream("matcher")  # over 1,000 hashes
        bundle = c.get(layout.public + "/static/vendor/swagger-ui/swagger-ui-bundle.js")
        assert bundle.status_code == 200 and layout.answered_by(bundle) == layout.upstream("portal")
        assert bundle.content == (STATIC / "vendor" / "swagger-ui" / "swagger-ui-bundle.js").read_bytes()  # 1.7 MB
        # nginx refuses a body over mamoru's limit before any process reads it
        huge = c.post(layout.public + "/report", content=b"x" * (MAX_REQUEST_BYTES + 1),
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert huge.status_code == 413 and layout.answered_by(huge) == "-"
        c.post(layout.public + "/report", data={"url": "http://reported.example.test/a"})  # a report, forwarded
    # No client address is stored (reporters' privacy): not by nginx, not by any process's log, though
    # every request above came from 127.0.0.2 and nginx forwarded that address to the processes.
    logs = sorted((layout.run_dir / "nginx" / "logs").glob("*.log")) + sorted((layout.run_dir / "logs").glob("*.log"))
    assert len(logs) >= 3
    holding = [f.name for f in logs if "127.0.0.2" in f.read_text(errors="replace")]
    assert holding == [], f"logs holding the client's address: {holding}"


def test_staff_pages_are_only_on_the_staff_listener(layout: ProductionLayout) -> None:
    analyst, coordinator = unique_user(layout, "analyst"), unique_user(layout, "coordinator")
    with _client("127.0.0.2") as public:
        for path in STAFF_PATHS:
            r = public.get(layout.public + path)
            assert r.status_code == 404, path
            assert layout.answered_by(r) == "-", f"{path} reached a process from the public listener"
    with _client("127.0.0.2") as staff:
        login = staff.get(layout.staff + "/login")
        assert login.status_code == 200 and layout.answered_by(login, "staff") == layout.upstream("office")
        r = staff.post(layout.staff + "/login", data={"username": analyst, "password": TEST_PASSWORD,
                                                       "csrf_token": _csrf(login.text), "next": "/hotline"})
        assert r.status_code == 303, r.text
        # signed in at the office's sign-in page; the hotline's process knows the session (shared table)
        queue = staff.get(layout.staff + "/hotline")
        assert queue.status_code == 200, queue.text[:300]
        assert layout.answered_by(queue, "staff") == layout.upstream("hotline")
    with _client("127.0.0.2") as staff:
        login = staff.get(layout.staff + "/login")
        staff.post(layout.staff + "/login", data={"username": coordinator, "password": TEST_PASSWORD,
                                                  "csrf_token": _csrf(login.text), "next": "/followup"})
        rounds = staff.get(layout.staff + "/followup")
        assert rounds.status_code == 200 and layout.answered_by(rounds, "staff") == layout.upstream("office")
        assert staff.get(layout.staff + "/report").status_code == 404  # the public form is the intake's, public
        assert staff.get(layout.staff + "/report/status").status_code == 404  # and so is the status lookup
        assert staff.post(layout.staff + "/api/v1/report/status", json={"receipt": "R261202-ABCD"}).status_code == 404


def test_each_process_is_connected_as_its_own_database_user(layout: ProductionLayout) -> None:
    for name, proc in layout.processes.items():
        if proc["port"]:
            health = httpx.get(f"http://127.0.0.1:{proc['port']}/api/v1/health", timeout=5).json()
            assert health["role"] == name and health["database"] == "postgresql"
    engine = create_engine(layout.owner_url)
    deadline, users = time.monotonic() + 20, {}
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            users = dict(conn.execute(text("SELECT DISTINCT application_name, usename FROM pg_stat_activity "
                                           "WHERE datname = current_database() AND application_name LIKE 'mamoru-%'")).all())
        if len(users) == 8:
            break
        time.sleep(0.5)
    engine.dispose()
    expected = {f"mamoru-{role}": f"{layout.prefix}_{role}" for role in PROCESS_ROLES}
    expected["mamoru-worker"] = f"{layout.prefix}_hotline"
    expected["mamoru-office-worker"] = f"{layout.prefix}_office_worker"  # the reminder job's grants only
    assert users == expected


WORKER_JOBS = {"hotline", "matching-snapshot", "blocklist-review",  # the hotline's worker
               "followup-reminders"}  # the office worker


def test_health_lists_the_workers_on_both_listeners(layout: ProductionLayout) -> None:
    deadline, names = time.monotonic() + 20, set()
    while time.monotonic() < deadline:
        names = {w["name"] for w in httpx.get(layout.public + "/api/v1/health", timeout=5).json()["workers"] if w["running"]}
        if WORKER_JOBS <= names:
            break
        time.sleep(0.5)
    assert WORKER_JOBS <= names
    (reminders,) = [w for w in httpx.get(layout.public + "/api/v1/health", timeout=5).json()["workers"]
                    if w["name"] == "followup-reminders"]
    assert reminders["last_error"] == "" and reminders["rounds"] >= 1
    staff = httpx.get(layout.staff + "/api/v1/health", timeout=5).json()
    assert staff["role"] == "office" and {w["name"] for w in staff["workers"]} >= names


def test_the_report_forms_rate_limit_is_per_address_nginx_forwards(layout: ProductionLayout) -> None:
    with _client("127.0.0.3") as first, _client("127.0.0.4") as second:
        for n in range(PUBLIC_RATE):
            r = _report(first, layout.public, f"http://{unique_host(f'rate{n}')}/")
            assert r.status_code == 200 and 'id="receipt"' in r.text, r.text[:300]
        assert _report(first, layout.public, f"http://{unique_host('rate-over')}/").status_code == 429
        # a forged address is the left of what nginx appends: the process still sees 127.0.0.3
        forged = _report(first, layout.public, f"http://{unique_host('rate-forged')}/",
                         headers={"X-Forwarded-For": "198.51.100.7"})
        assert forged.status_code == 429
        other = _report(second, layout.public, f"http://{unique_host('rate-other')}/")
        assert other.status_code == 200 and layout.answered_by(other) == layout.upstream("intake")
    log = "\n".join(layout.access_log())
    assert "127.0.0.3" not in log and "198.51.100.7" not in log  # no reporter's address in nginx's log


def test_a_public_report_reaches_the_worker_which_alerts_the_police_by_smtp(layout: ProductionLayout) -> None:
    host = unique_host("danger")
    with _client("127.0.0.5") as c:
        r = _report(c, layout.public, f"http://{host}/page", immediate_danger="1", contact="reporter@example.test")
        assert r.status_code == 200, r.text[:300]
    mail = layout.smtp.wait_for(POLICE, about=host)
    body = mail.get_payload(decode=True)
    assert isinstance(body, bytes) and host.encode() in body
    assert b"reporter@example.test" not in mail.as_bytes()  # the reporter's contact stays sealed


def test_the_office_worker_mails_each_officer_a_reminder_in_their_language(layout: ProductionLayout) -> None:
    """A round due in three days: the office worker (its own process and database user) sends each
    officer of an agency with entries to submit a reminder through the SMTP sink, in English to the
    officer who prefers English and in Japanese to the one who prefers Japanese."""
    from datetime import UTC, datetime, timedelta

    from mamoru.periods import japan_date

    tag = secrets.token_hex(4)
    english, japanese = f"officer-en-{tag}@example.test", f"officer-ja-{tag}@example.test"
    layout.add_user(f"officer-en-{tag}", "agency_officer", agency="NPA", email=english, lang="en")
    layout.add_user(f"officer-ja-{tag}", "agency_officer", agency="NPA", email=japanese, lang="ja")
    coordinator = unique_user(layout, "coordinator")
    due = japan_date(datetime.now(UTC)) + timedelta(days=3)  # the worker counts days in Japan
    layout.cli("round", "open", "--fy", "2077", "--due", due.isoformat(), "--as", coordinator)
    mail = layout.smtp.wait_for(english, about="FY2077", seconds=60)
    subject = str(make_header(decode_header(mail["Subject"])))
    assert subject == f"[mamoru] FY2077: due on {due:%B} {due.day}, {due.year}", subject
    body = _body(mail)
    assert "Your agency (NPA) still has" in body and "JST" in body and "提出" not in body
    mail = layout.smtp.wait_for(japanese, about="NPA", seconds=60)
    subject = str(make_header(decode_header(mail["Subject"])))
    assert subject == f"【mamoru】令和59年度：提出期限は{due.year}年{due.month}月{due.day}日です", subject
    assert "JST" in _body(mail) and "Your agency" not in _body(mail)


def _body(mail: Any) -> str:
    payload = mail.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(mail.get_content_charset() or "utf-8")


def test_systemd_units_and_procfile_run_the_same_commands() -> None:
    procfile = dict(line.split(":", 1) for line in (DEPLOY / "Procfile").read_text().splitlines()
                    if line.strip() and not line.startswith("#"))
    assert [*procfile] == [*PROCESS_ROLES, "worker", "office-worker", "nginx"]

    def exec_start(unit: str) -> list[str]:
        [line] = [ln for ln in (DEPLOY / "systemd" / unit).read_text().splitlines() if ln.startswith("ExecStart=")]
        argv = shlex.split(line.removeprefix("ExecStart=").replace("${", "$").replace("}", ""))
        assert argv[0].endswith("/mamoru")
        return ["mamoru", *argv[1:]]

    for role in PROCESS_ROLES:
        assert shlex.split(procfile[role]) == exec_start("mamoru-web@.service"), role
    assert shlex.split(procfile["worker"]) == exec_start("mamoru-worker.service")
    assert shlex.split(procfile["office-worker"]) == exec_start("mamoru-office-worker.service")
    for unit in ("mamoru-web@.service", "mamoru-worker.service", "mamoru-office-worker.service"):
        body = (DEPLOY / "systemd" / unit).read_text()
        assert {"NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes", "CapabilityBoundingSet="} <= set(body.splitlines())


def _launcher() -> Any:
    spec = importlib.util.spec_from_file_location("run_production", LAUNCHER)
    assert spec and spec.loader
    run_production = importlib.util.module_from_spec(spec)
    sys.modules["run_production"] = run_production  # its dataclasses look their module up
    spec.loader.exec_module(run_production)
    return run_production


def _render(tmp_path: Path, addresses: dict[str, str]) -> list[tuple[str, str]]:
    """The launcher's rendering into tmp_path/nginx (as `make run-production` does); the lines changed."""
    run_production = _launcher()
    conf = (DEPLOY / "nginx" / "mamoru.conf").read_text()
    (tmp_path / "nginx" / "logs").mkdir(parents=True)
    rendered = run_production.render_nginx(conf, addresses, tmp_path / "nginx" / "logs", DEPLOY / "nginx" / "errors")
    (tmp_path / "nginx" / "mamoru.conf").write_text(rendered)
    (tmp_path / "nginx" / "nginx.conf").write_text(run_production.nginx_main(tmp_path))
    for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / "nginx" / "temp" / k).mkdir(parents=True)
    return [(a, b) for a, b in zip(conf.splitlines(), rendered.splitlines(), strict=True) if a != b]


def test_nginx_config_has_mamorus_body_limit_and_passes_nginx_t(tmp_path: Path) -> None:
    conf = (DEPLOY / "nginx" / "mamoru.conf").read_text()
    # nginx is the edge: X-Forwarded-For is the connection's address alone, never a client's header with
    # it appended (a client on a trusted address, 127.0.0.1, could name any address and get a fresh limit)
    assert "$proxy_add_x_forwarded_for" not in conf and "$http_x_forwarded_for" not in conf
    assert conf.count("proxy_set_header X-Forwarded-For $remote_addr;") == conf.count("server {") == 2
    limits = re.findall(r"client_max_body_size (\d+)m;", conf)
    assert limits and all(int(n) * 1024 * 1024 == MAX_REQUEST_BYTES for n in limits)
    nginx = nginx_binary()
    # the launcher's rendering, checked by nginx itself; only the tagged addresses, the log folder and
    # the error pages' folder change
    addresses = {n: f"127.0.0.1:{9000 + i}" for i, n in enumerate([*PROCESS_ROLES, "public", "staff"])}
    changed = _render(tmp_path, addresses)
    assert len(changed) == len(addresses) + 3 + 2  # the tagged lines, the two access logs and the error log, the two error folders
    r = subprocess.run([nginx, "-t", "-p", str(tmp_path / "nginx"), "-c", "nginx.conf", "-e", "stderr"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert "syntax is ok" in r.stderr
    # every page an error_page names is shipped, and its JSON twin is mamoru's error shape
    for name in set(re.findall(r"error_page [\d ]+ /_mamoru_errors/(\w+)\.\$mamoru_error_type;", conf)):
        assert (DEPLOY / "nginx" / "errors" / f"{name}.html").is_file(), name
        body = json.loads((DEPLOY / "nginx" / "errors" / f"{name}.json").read_text())
        assert set(body) == {"detail", "problems"} and body["problems"] == [] and body["detail"], name
    assert json.loads((DEPLOY / "nginx" / "errors" / "413.json").read_text())["detail"] == \
        f"the request body is over the limit of {MAX_REQUEST_BYTES // 2**20} MB"  # mamoru's own 413 (web/limits.py)


def test_a_process_that_does_not_answer_gets_mamorus_bilingual_502(tmp_path: Path) -> None:
    """nginx alone, on the shipped configuration, with every upstream a port nothing listens on (a
    stopped process): 502 with the bilingual page, JSON under /api/."""
    nginx = nginx_binary()
    addresses = {n: f"127.0.0.1:{free_port()}" for n in [*PROCESS_ROLES, "public", "staff"]}
    _render(tmp_path, addresses)
    proc = subprocess.Popen([nginx, "-p", str(tmp_path / "nginx"), "-c", "nginx.conf", "-e", "stderr",
                             "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        public, staff = f"http://{addresses['public']}", f"http://{addresses['staff']}"
        deadline = time.monotonic() + 20
        while True:
            try:
                page = httpx.get(public + "/portal", timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and proc.poll() is None, "nginx did not start"
                time.sleep(0.2)
        _bilingual(page, 502, "ただいま利用できません", "Temporarily unavailable")
        api = httpx.get(public + "/api/v1/plans", timeout=5)
        assert api.status_code == 502 and api.json()["problems"] == [] and "try again" in api.json()["detail"]
        _bilingual(httpx.get(staff + "/followup", timeout=5), 502, "ただいま利用できません", "Temporarily unavailable")
        assert httpx.get(staff + "/api/v1/me", timeout=5).json()["detail"] == api.json()["detail"]
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def _documented(layout: ProductionLayout, listener: str) -> list[tuple[str, str, str]]:
    doc = httpx.get(getattr(layout, listener) + "/api/v1/openapi.json", timeout=30).json()
    return [(method.upper(), path, op["x-mamoru-role"]) for path, item in doc["paths"].items()
            for method, op in item.items()]


@pytest.mark.parametrize("listener", ["public", "staff"])
def test_each_listeners_docs_describe_every_operation_and_nginx_sends_each_to_its_process(
        layout: ProductionLayout, listener: str) -> None:
    operations = _documented(layout, listener)
    paths = {path for _, path, _ in operations}
    if listener == "public":  # a platform engineer finds the match API and the feed where they read the docs
        assert {"/api/v1/match", "/api/v1/blocklist/keys", "/api/v1/blocklist/snapshots/{fmt}", "/api/v1/plans"} <= paths
    else:
        assert {"/api/v1/hotline/queue", "/api/v1/banks", "/api/v1/blocklist/entries", "/api/v1/blocklist/access-log",
                "/api/v1/users"} <= paths
    base = getattr(layout, listener)
    wrong = []
    with _client("127.0.0.2") as c:
        for method, path, role in operations:
            r = c.request(method, base + re.sub(r"\{\w+\}", "1", path), follow_redirects=False)
            by = layout.answered_by(r, listener)
            # the process named answered, and as a route it has (not its 404 for an unknown path)
            if by != layout.upstream(role) or (r.status_code == 404 and r.json() == {"detail": "not found"}):
                wrong.append(f"{method} {path}: {r.status_code} from {by}, documented as {role}'s")
    assert wrong == []
    page = httpx.get(base + "/api/v1/docs", timeout=30)
    assert page.status_code == 200 and 'data-openapi="/api/v1/docs/openapi.json"' in page.text
    assert layout.answered_by(page, listener) == layout.upstream("portal" if listener == "public" else "office")


def _bilingual(r: httpx.Response, status: int, ja: str, en: str) -> None:
    """One of deploy/nginx/errors' pages: Japanese, then English, nothing from outside."""
    assert r.status_code == status, r.text[:300]
    assert r.headers["content-type"].startswith("text/html") and "charset=utf-8" in r.headers["content-type"]
    text = r.text
    assert '<html lang="ja">' in text and ja in text and '<section lang="en">' in text and en in text
    assert text.index(ja) < text.index(en)  # Japanese first
    assert "nginx" not in text and "http" not in text.replace('href="/', "")  # no default page, no outside asset
    assert "default-src 'none'" in r.headers["content-security-policy"]


def test_nginxs_own_answers_are_mamorus_bilingual_pages_or_json(layout: ProductionLayout) -> None:
    with _client("127.0.0.2") as c:
        missing = c.get(layout.public + "/no-such-page")
        _bilingual(missing, 404, "ページが見つかりません", "Page not found")
        assert layout.answered_by(missing) == "-"
        api = c.get(layout.public + "/api/v1/no-such-thing")
        assert api.status_code == 404 and api.json() == {"detail": "not found", "problems": []}
        assert layout.answered_by(api) == "-"
        denied = c.post(layout.public + "/portal")
        _bilingual(denied, 403, "この操作はできません", "Not allowed")
        assert layout.answered_by(denied) == "-"
        api_denied = c.post(layout.public + "/api/v1/plans", json={})
        assert api_denied.status_code == 403 and api_denied.json()["problems"] == []
        assert "only reads" in api_denied.json()["detail"]
        huge = c.post(layout.public + "/report", content=b"x" * (MAX_REQUEST_BYTES + 1),
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
        _bilingual(huge, 413, "大きすぎます", "Too large")
        assert layout.answered_by(huge) == "-"
        huge_api = c.post(layout.public + "/api/v1/match", content=b"x" * (MAX_REQUEST_BYTES + 1),
                          headers={"Content-Type": "application/json"})
        assert huge_api.status_code == 413 and layout.answered_by(huge_api) == "-"
        assert huge_api.json() == {"detail": f"the request body is over the limit of {MAX_REQUEST_BYTES // 2**20} MB",
                                   "problems": []}
    with _client("127.0.0.2") as staff:
        huge = staff.post(layout.staff + "/followup", content=b"x" * (MAX_REQUEST_BYTES + 1))
        _bilingual(huge, 413, "大きすぎます", "Too large")
        assert layout.answered_by(huge, "staff") == "-"
