"""The production layout, started the way an operator starts it: `scripts/run_production.py` (`make
run-production`) on a fresh PostgreSQL database, from deploy/Procfile and deploy/nginx/mamoru.conf
(tests/production.py), one layout for the whole module.

Through the real nginx: each public path reaches the only process that may serve it (nginx's log
names the upstream), staff pages answer 404 on the public listener without reaching any process and
are served on the staff listener by the office or the hotline, every process is connected to
PostgreSQL as its own role's user, the health check lists the worker's jobs, the report form's rate
limit is per reporter address as nginx forwards it (a forged X-Forwarded-For changes nothing), and a
report through the public form reaches the worker, which alerts the police by SMTP. The files under
deploy/ are also checked against each other and against mamoru (systemd units and Procfile run the
same commands; nginx's body limit is mamoru's).
"""

from __future__ import annotations

import importlib.util
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from tests.conftest import TEST_PASSWORD
from tests.production import DEPLOY, LAUNCHER, ProductionLayout, nginx_binary, production_layout

from mamoru.domain import PROCESS_ROLES
from mamoru.web.app import STATIC_DIR as STATIC
from mamoru.web.limits import MAX_REQUEST_BYTES

RATE = 3
POLICE = "police@example.test"
STAFF_PATHS = ["/login", "/account", "/hotline", "/followup", "/matching", "/blocklist", "/audit", "/admin/users",
               "/api/v1/me", "/api/v1/users", "/api/v1/hotline/queue", "/api/v1/banks", "/api/v1/blocklist/entries"]


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductionLayout]:
    settings = {"MAMORU_HOTLINE_PUBLIC_RATE": f"{RATE}/600", "MAMORU_HOTLINE_POLICE_EMAIL": POLICE}
    with production_layout(tmp_path_factory.mktemp("production"), settings) as running:
        running.add_user("prod-analyst", "analyst")
        running.add_user("prod-coordinator", "coordinator")
        running.add_user("prod-platform", "platform")
        yield running


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
        for path in ("/portal", "/", "/portal/indicators", "/api/v1/plans"):
            r = c.get(layout.public + path)
            assert r.status_code == 200, path
            assert layout.answered_by(r) == layout.upstream("portal"), path
        r = c.post(layout.public + "/portal")
        assert r.status_code == 403 and layout.answered_by(r) == "-"  # the portal is read-only at the door too
        r = c.get(layout.public + "/api/v1/blocklist/keys")
        assert r.status_code == 200 and layout.answered_by(r) == layout.upstream("feed")
        assert c.post(layout.public + "/api/v1/match", json={"hashes": ["0" * 64]}).status_code == 401
        token = layout.token("prod-platform", "match")
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


def test_staff_pages_are_only_on_the_staff_listener(layout: ProductionLayout) -> None:
    with _client("127.0.0.2") as public:
        for path in STAFF_PATHS:
            r = public.get(layout.public + path)
            assert r.status_code == 404, path
            assert layout.answered_by(r) == "-", f"{path} reached a process from the public listener"
    with _client("127.0.0.2") as staff:
        login = staff.get(layout.staff + "/login")
        assert login.status_code == 200 and layout.answered_by(login, "staff") == layout.upstream("office")
        r = staff.post(layout.staff + "/login", data={"username": "prod-analyst", "password": TEST_PASSWORD,
                                                       "csrf_token": _csrf(login.text), "next": "/hotline"})
        assert r.status_code == 303, r.text
        # signed in at the office's sign-in page; the hotline's process knows the session (shared table)
        queue = staff.get(layout.staff + "/hotline")
        assert queue.status_code == 200, queue.text[:300]
        assert layout.answered_by(queue, "staff") == layout.upstream("hotline")
    with _client("127.0.0.2") as staff:
        login = staff.get(layout.staff + "/login")
        staff.post(layout.staff + "/login", data={"username": "prod-coordinator", "password": TEST_PASSWORD,
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
        if len(users) == 7:
            break
        time.sleep(0.5)
    engine.dispose()
    expected = {f"mamoru-{role}": f"{layout.prefix}_{role}" for role in PROCESS_ROLES}
    expected["mamoru-worker"] = f"{layout.prefix}_hotline"
    assert users == expected


def test_health_lists_the_worker_on_both_listeners(layout: ProductionLayout) -> None:
    deadline, names = time.monotonic() + 20, set()
    while time.monotonic() < deadline:
        names = {w["name"] for w in httpx.get(layout.public + "/api/v1/health", timeout=5).json()["workers"] if w["running"]}
        if {"hotline", "matching-snapshot", "blocklist-review"} <= names:
            break
        time.sleep(0.5)
    assert {"hotline", "matching-snapshot", "blocklist-review"} <= names
    staff = httpx.get(layout.staff + "/api/v1/health", timeout=5).json()
    assert staff["role"] == "office" and {w["name"] for w in staff["workers"]} >= names


def test_the_report_forms_rate_limit_is_per_address_nginx_forwards(layout: ProductionLayout) -> None:
    with _client("127.0.0.3") as first, _client("127.0.0.4") as second:
        for n in range(RATE):
            r = _report(first, layout.public, f"http://rate{n}.example.test/")
            assert r.status_code == 200 and 'id="receipt"' in r.text, r.text[:300]
        assert _report(first, layout.public, "http://rate-over.example.test/").status_code == 429
        # a forged address is the left of what nginx appends: the process still sees 127.0.0.3
        forged = _report(first, layout.public, "http://rate-forged.example.test/",
                         headers={"X-Forwarded-For": "198.51.100.7"})
        assert forged.status_code == 429
        other = _report(second, layout.public, "http://rate-other.example.test/")
        assert other.status_code == 200 and layout.answered_by(other) == layout.upstream("intake")
    log = "\n".join(layout.access_log())
    assert "127.0.0.3" not in log and "198.51.100.7" not in log  # no reporter's address in nginx's log


def test_a_public_report_reaches_the_worker_which_alerts_the_police_by_smtp(layout: ProductionLayout) -> None:
    with _client("127.0.0.5") as c:
        r = _report(c, layout.public, "http://danger.example.test/page", immediate_danger="1",
                    contact="reporter@example.test")
        assert r.status_code == 200, r.text[:300]
    mail = layout.smtp.wait_for(POLICE)
    body = mail.get_payload(decode=True)
    assert isinstance(body, bytes) and b"danger.example.test" in body
    assert b"reporter@example.test" not in mail.as_bytes()  # the reporter's contact stays sealed


def test_systemd_units_and_procfile_run_the_same_commands() -> None:
    procfile = dict(line.split(":", 1) for line in (DEPLOY / "Procfile").read_text().splitlines()
                    if line.strip() and not line.startswith("#"))
    assert [*procfile] == [*PROCESS_ROLES, "worker", "nginx"]

    def exec_start(unit: str) -> list[str]:
        [line] = [ln for ln in (DEPLOY / "systemd" / unit).read_text().splitlines() if ln.startswith("ExecStart=")]
        argv = shlex.split(line.removeprefix("ExecStart=").replace("${", "$").replace("}", ""))
        assert argv[0].endswith("/mamoru")
        return ["mamoru", *argv[1:]]

    for role in PROCESS_ROLES:
        assert shlex.split(procfile[role]) == exec_start("mamoru-web@.service"), role
    assert shlex.split(procfile["worker"]) == exec_start("mamoru-worker.service")
    for unit in ("mamoru-web@.service", "mamoru-worker.service"):
        body = (DEPLOY / "systemd" / unit).read_text()
        assert {"NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes", "CapabilityBoundingSet="} <= set(body.splitlines())


def test_nginx_config_has_mamorus_body_limit_and_passes_nginx_t(tmp_path: Path) -> None:
    conf = (DEPLOY / "nginx" / "mamoru.conf").read_text()
    limits = re.findall(r"client_max_body_size (\d+)m;", conf)
    assert limits and all(int(n) * 1024 * 1024 == MAX_REQUEST_BYTES for n in limits)
    nginx = nginx_binary()
    # the launcher's rendering, checked by nginx itself; only the tagged addresses and log folder change
    spec = importlib.util.spec_from_file_location("run_production", LAUNCHER)
    assert spec and spec.loader
    run_production = importlib.util.module_from_spec(spec)
    sys.modules["run_production"] = run_production  # its dataclasses look their module up
    spec.loader.exec_module(run_production)
    addresses = {n: f"127.0.0.1:{9000 + i}" for i, n in enumerate([*PROCESS_ROLES, "public", "staff"])}
    (tmp_path / "nginx" / "logs").mkdir(parents=True)
    rendered = run_production.render_nginx(conf, addresses, tmp_path / "nginx" / "logs")
    changed = [(a, b) for a, b in zip(conf.splitlines(), rendered.splitlines(), strict=True) if a != b]
    assert len(changed) == len(addresses) + 2  # the tagged lines and the two access logs
    (tmp_path / "nginx" / "mamoru.conf").write_text(rendered)
    (tmp_path / "nginx" / "nginx.conf").write_text(run_production.nginx_main(tmp_path))
    for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / "nginx" / "temp" / k).mkdir(parents=True)
    r = subprocess.run([nginx, "-t", "-p", str(tmp_path / "nginx"), "-c", "nginx.conf", "-e", "stderr"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert "syntax is ok" in r.stderr
