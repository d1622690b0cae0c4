"""Start mamoru's production layout on one machine from the files under deploy/ (`make run-production`).

Given MAMORU_DATABASE_URL naming the database's owner (PostgreSQL), it migrates and loads the plan
(`mamoru setup`), makes one database user per process role (`mamoru db roles --apply`), makes the
keys (contact key and its public half for the intake, the blocking list's signing key, the cookie
secret), writes one environment file per process (RUN_DIR/env/NAME.env, the files systemd reads
from /etc/mamoru in production), starts every line of deploy/Procfile as its own process with its
own database user, renders deploy/nginx/mamoru.conf into RUN_DIR/nginx and starts nginx as this user
(pid, logs and temporary files in RUN_DIR/nginx). It prints the public and staff addresses, writes
them with every process's port, pid and database user to RUN_DIR/layout.json, and stops everything
on Ctrl-C (or SIGTERM); if one process ends, it stops the others and exits 1.

Role users get no password here (local trust or peer authentication). For a database that asks for
passwords, set one per role (ALTER ROLE mamoru_portal PASSWORD '...') and give it in ~/.pgpass
(libpq reads it), or give a whole URL per process in MAMORU_DATABASE_URL_PORTAL, _OFFICE, ...
(the worker uses the hotline's, the office worker _OFFICE_WORKER).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess  # nosec B404 - starts mamoru's own commands and nginx from deploy/Procfile
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from types import FrameType

REPO = Path(__file__).resolve().parent.parent
WEB_ROLES = ("portal", "office", "hotline", "intake", "matcher", "feed")
WORKERS = {"worker": ("hotline", "hotline"), "office-worker": ("office", "office_worker")}
"""Procfile line -> (MAMORU_ROLE, database user's role) of the two workers: the hotline's worker
drains the inbox and publishes with the hotline's user and keys; the office's sends the follow-up's
reminders as a user of its own that may read and write only what that job needs (mamoru.separation)."""
SBIN = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
KEEP = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "PYTHONPATH", "VIRTUAL_ENV", "PGPASSFILE",
        "PGSSLMODE", "PGSSLROOTCERT", "PGSSLCERT", "PGSSLKEY")
"""What a process inherits of the launcher's environment besides its env file (no MAMORU_* setting)."""
PASSED = {
    "MAMORU_HOTLINE_": ("hotline", "worker", "intake"),
    "MAMORU_MATCH_": ("matcher", "hotline", "worker"),
    "MAMORU_BLOCKLIST_": ("hotline", "worker", "feed", "portal"),
    "MAMORU_MAIL_": ("office", "hotline", "worker", "office-worker"),
    "MAMORU_SMTP_": ("office", "hotline", "worker", "office-worker"),
}
"""The caller's domain and mail settings, given to the processes that use them only (the portal gets
no hotline, matching or mail setting; the SMTP password reaches the mailers only)."""
OWN = {"MAMORU_DATABASE_URL", "MAMORU_ROLE", "MAMORU_VAR_DIR", "MAMORU_AUDIT_KEY", "MAMORU_ADMIN_PASSWORD",
       "MAMORU_NEW_PASSWORD", "MAMORU_HOTLINE_CONTACT_KEY", "MAMORU_HOTLINE_CONTACT_PUBLIC_KEY",
       "MAMORU_BLOCKLIST_KEY", "MAMORU_MATCH_SNAPSHOT_DIR"}
"""Settings the launcher sets itself, per process; the caller's are not passed on."""


@dataclass
class Process:
    name: str
    argv: list[str]
    env: dict[str, str]
    port: int | None = None
    database_user: str | None = None
    popen: subprocess.Popen[bytes] | None = field(default=None, repr=False)


def read_procfile(path: Path) -> dict[str, str]:
    """NAME: COMMAND lines (comments and blank lines skipped), in order."""
    out: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, command = line.partition(":")
            out[name.strip()] = command.strip()
    return out


def command_for(line: str, env: dict[str, str]) -> list[str]:
    """A Procfile command with $VARS from the process's environment; `mamoru` is this interpreter's
    mamoru (python -m mamoru.cli), `nginx` Debian's (/usr/sbin)."""
    argv = shlex.split(Template(line).substitute(env))
    if argv[0] == "mamoru":
        return [sys.executable, "-m", "mamoru.cli", *argv[1:]]
    found = shutil.which(argv[0], path=SBIN)
    if found is None:
        raise SystemExit(f"{argv[0]} is not installed (Debian: apt-get install {argv[0]})")
    return [found, *argv[1:]]


def role_url(owner_url: str, user: str) -> str:
    """The owner's URL with the role's user and no password (trust or peer authentication, ~/.pgpass)."""
    from sqlalchemy.engine import make_url

    return make_url(owner_url).set(username=user, password=None).render_as_string(hide_password=False)


def free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


ERRORS_DIR = "/etc/nginx/mamoru-errors/"
"""Where mamoru.conf has nginx find its own error pages (deploy/nginx/errors, installed)."""


def render_nginx(conf: str, addresses: dict[str, str], log_dir: Path, errors_dir: Path) -> str:
    """deploy/nginx/mamoru.conf with the address of each line tagged `run-production: NAME` replaced,
    its logs in log_dir and its error pages read from errors_dir (deploy/nginx/errors); every other
    line as shipped."""
    out = []
    for line in conf.splitlines():
        tag = re.search(r"# run-production: (\w+)\s*$", line)
        if tag:
            line, n = re.subn(r"\d+\.\d+\.\d+\.\d+:\d+", addresses[tag.group(1)], line, count=1)
            assert n == 1, line
        out.append(line.replace("/var/log/nginx/", f"{log_dir}/").replace(ERRORS_DIR, f"{errors_dir}/"))
    return "\n".join(out) + "\n"


def nginx_main(run_dir: Path) -> str:
    """The main configuration for an nginx run as this user: pid, logs and temporary files in run_dir
    (in production Debian's /etc/nginx/nginx.conf includes mamoru.conf from conf.d instead)."""
    d = run_dir / "nginx"
    temps = "\n".join(f"    {k}_temp_path {d / 'temp' / k};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    # Started by root (a CI container), nginx would run its workers as nobody, who may not write
    # the temporary files under run_dir: they stay the launcher's user, as for any other user.
    user = "user root;\n" if os.geteuid() == 0 else ""
    return (f"{user}worker_processes 1;\npid {d / 'nginx.pid'};\nerror_log stderr notice;\n"
            f"events {{ worker_connections 512; }}\nhttp {{\n{temps}\n    default_type text/plain;\n"
            f"    include {d / 'mamoru.conf'};\n}}\n")


def run_owner(args: list[str], env: dict[str, str]) -> str:
    return run_owner_both(args, env)[0]


def run_owner_both(args: list[str], env: dict[str, str]) -> tuple[str, str]:
    """A mamoru command as the tables' owner: its standard output and error (it failing ends the launcher)."""
    r = subprocess.run([sys.executable, "-m", "mamoru.cli", *args], env=env, capture_output=True, text=True)  # nosec B603
    if r.returncode != 0:
        raise SystemExit(f"mamoru {' '.join(args)} failed (exit {r.returncode}):\n{r.stderr}{r.stdout}")
    return r.stdout, r.stderr


def prepare(owner_url: str, run_dir: Path, prefix: str) -> dict[str, Path]:
    """Migrate, load the plan, first administrator; the role users; the keys. Returns the key paths."""
    keys = run_dir / "keys"
    keys.mkdir(parents=True, exist_ok=True, mode=0o700)
    paths = {"contact": keys / "contact.key", "contact_public": keys / "contact.pub",
             "blocklist": keys / "blocklist.key", "secret": keys / "secret.key", "audit": keys / "audit.key"}
    env = {**base_env(), "MAMORU_DATABASE_URL": owner_url, "MAMORU_VAR_DIR": str(run_dir / "var" / "owner"),
           "MAMORU_AUDIT_KEY": str(paths["audit"])}
    if os.environ.get("MAMORU_ADMIN_PASSWORD"):
        env["MAMORU_ADMIN_PASSWORD"] = os.environ["MAMORU_ADMIN_PASSWORD"]
    # what setup did, as it says it: the administrator's username (and a generated password, shown once)
    out, said = run_owner_both(["setup"], env)
    sys.stdout.write(out)
    sys.stderr.write("".join(line + "\n" for line in said.splitlines() if "administrator" in line))
    run_owner(["db", "roles", "--prefix", prefix, "--apply"], env)
    run_owner(["hotline", "contact-key", "--public-out", str(paths["contact_public"])],
              {**env, "MAMORU_ROLE": "hotline", "MAMORU_HOTLINE_CONTACT_KEY": str(paths["contact"])})
    if not paths["blocklist"].exists():
        run_owner(["blocklist", "key", "rotate"], {**env, "MAMORU_BLOCKLIST_KEY": str(paths["blocklist"])})
    if not paths["secret"].exists():
        paths["secret"].write_text(secrets.token_urlsafe(32))
        paths["secret"].chmod(0o600)
    return paths


def base_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k in KEEP or k.startswith("LC_")}


def database_role(name: str) -> str:
    """The database role whose user process `name` connects as (PREFIX_ROLE)."""
    return WORKERS[name][1] if name in WORKERS else name


def process_env(name: str, owner_url: str, prefix: str, run_dir: Path, keys: dict[str, Path]) -> dict[str, str]:
    """What the env file of process `name` holds: its role, its own database user, its settings."""
    role, db_role = WORKERS[name][0] if name in WORKERS else name, database_role(name)
    user = f"{prefix}_{db_role}"
    env = {"MAMORU_ROLE": role,
           "MAMORU_DATABASE_URL": os.environ.get(f"MAMORU_DATABASE_URL_{db_role.upper()}") or role_url(owner_url, user),
           "MAMORU_VAR_DIR": str(run_dir / "var" / name),
           "MAMORU_SECRET_KEY": os.environ.get("MAMORU_SECRET_KEY") or keys["secret"].read_text().strip(),
           "MAMORU_TRUSTED_PROXIES": os.environ.get("MAMORU_TRUSTED_PROXIES") or "127.0.0.1"}
    for key, value in os.environ.items():
        if key in OWN or not key.startswith("MAMORU_") or key.startswith("MAMORU_DATABASE_URL_"):
            continue
        domain = next((p for p in PASSED if key.startswith(p)), None)
        if domain is None or name in PASSED[domain]:
            env.setdefault(key, value)
    if db_role == "hotline":
        env.update(MAMORU_HOTLINE_CONTACT_KEY=str(keys["contact"]), MAMORU_BLOCKLIST_KEY=str(keys["blocklist"]))
    if db_role in ("hotline", "matcher"):
        env["MAMORU_MATCH_SNAPSHOT_DIR"] = str(run_dir / "matching")
    if role == "intake":
        env["MAMORU_HOTLINE_CONTACT_PUBLIC_KEY"] = str(keys["contact_public"])
        if not env.get("MAMORU_HOTLINE_REDIS_URL"):
            env.setdefault("MAMORU_HOTLINE_RATE_STORE", "database")  # shared by every intake process
    return env


def write_env_file(path: Path, env: dict[str, str]) -> None:
    """KEY=value lines, as systemd's EnvironmentFile reads them (0600: it holds the cookie secret)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{k}={v}\n" for k, v in sorted(env.items())))
    path.chmod(0o600)


def wait_for(url: str, seconds: float, procs: list[Process]) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        check_running(procs)
        try:
            with urllib.request.urlopen(url, timeout=2) as r:  # nosec B310 - our own loopback address
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {seconds:g} s")


def check_running(procs: list[Process]) -> None:
    for p in procs:
        if p.popen is not None and p.popen.poll() is not None:
            raise SystemExit(f"{p.name} ended (exit {p.popen.returncode}); see its log")


def start(p: Process, logs: Path) -> None:
    log = (logs / f"{p.name}.log").open("ab")
    env = {**base_env(), **p.env, "PGAPPNAME": f"mamoru-{p.name}"}  # pg_stat_activity names the process
    # start_new_session: Ctrl-C reaches the launcher only, which stops each process in turn
    p.popen = subprocess.Popen(p.argv, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,  # nosec B603
                               start_new_session=True)
    log.close()


def stop(procs: list[Process]) -> None:
    for p in reversed(procs):  # nginx first: no request reaches a stopping process
        if p.popen is not None and p.popen.poll() is None:
            p.popen.terminate()
            try:
                p.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.popen.kill()
                p.popen.wait()


def parse_args(argv: list[str]) -> argparse.Namespace:
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    a.add_argument("--run-dir", type=Path, default=REPO / "var" / "production",
                   help="env files, keys, logs, nginx's files (default var/production)")
    a.add_argument("--deploy", type=Path, default=REPO / "deploy", help="the Procfile and nginx/mamoru.conf")
    a.add_argument("--host", default="127.0.0.1", help="address of the public and staff listeners")
    a.add_argument("--public-port", type=int, default=8080, help="0: a free port")
    a.add_argument("--staff-port", type=int, default=8081, help="0: a free port")
    a.add_argument("--base-port", type=int, default=8100,
                   help="first port of the processes, one a role in Procfile order; 0: free ports")
    a.add_argument("--role-prefix", default="mamoru", help="database users PREFIX_portal, PREFIX_office, ...")
    a.add_argument("--interval", type=float, default=60.0, help="seconds between the workers' rounds")
    return a.parse_args(argv)


def build(args: argparse.Namespace, owner_url: str, keys: dict[str, Path]) -> tuple[list[Process], dict[str, str]]:
    run_dir: Path = args.run_dir.resolve()
    lines = read_procfile(args.deploy / "Procfile")
    missing = [n for n in (*WEB_ROLES, *WORKERS, "nginx") if n not in lines]
    if missing:
        raise SystemExit(f"{args.deploy / 'Procfile'} has no line for {', '.join(missing)}")
    procs, addresses = [], {}
    for which, port in (("public", args.public_port), ("staff", args.staff_port)):
        addresses[which] = f"{args.host}:{port or free_port(args.host)}"
    for i, name in enumerate(n for n in lines if n != "nginx"):
        env = process_env(name, owner_url, args.role_prefix, run_dir, keys)
        # the two listeners' addresses, for the links from one to the other (Log in, Report, the feed)
        env.setdefault("MAMORU_PUBLIC_URL", f"http://{addresses['public']}")
        env.setdefault("MAMORU_STAFF_URL", f"http://{addresses['staff']}")
        if name in WEB_ROLES:
            env["PORT"] = str(args.base_port + i if args.base_port else free_port("127.0.0.1"))
            addresses[name] = f"127.0.0.1:{env['PORT']}"
        if name in WORKERS:
            env["WORK_INTERVAL"] = f"{args.interval:g}"
        write_env_file(run_dir / "env" / f"{name}.env", env)
        procs.append(Process(name, command_for(lines[name], env), env, int(env["PORT"]) if "PORT" in env else None,
                             f"{args.role_prefix}_{database_role(name)}"))
    nginx_dir = run_dir / "nginx"
    for d in ("logs", *(f"temp/{k}" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))):
        (nginx_dir / d).mkdir(parents=True, exist_ok=True)
    conf = (args.deploy / "nginx" / "mamoru.conf").read_text()
    errors = (args.deploy / "nginx" / "errors").resolve()
    (nginx_dir / "mamoru.conf").write_text(render_nginx(conf, addresses, nginx_dir / "logs", errors))
    (nginx_dir / "nginx.conf").write_text(nginx_main(run_dir))
    nginx_env = {"RUN_DIR": str(run_dir)}
    procs.append(Process("nginx", command_for(lines["nginx"], nginx_env), nginx_env))
    return procs, addresses


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    owner_url = os.environ.get("MAMORU_DATABASE_URL", "")
    if not owner_url.startswith("postgresql"):
        print("set MAMORU_DATABASE_URL to the PostgreSQL database's owner, e.g. "
              "postgresql://mamoru_owner@127.0.0.1:5432/mamoru (the production layout needs PostgreSQL)", file=sys.stderr)
        return 2
    run_dir: Path = args.run_dir.resolve()
    (run_dir / "layout.json").unlink(missing_ok=True)
    keys = prepare(owner_url, run_dir, args.role_prefix)
    procs, addresses = build(args, owner_url, keys)
    logs = run_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    stopping: list[int] = []

    def on_signal(signum: int, _: FrameType | None) -> None:
        stopping.append(signum)
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    code = 0
    try:
        for p in procs[:-1]:
            start(p, logs)
        for p in procs[:-1]:
            if p.port:
                wait_for(f"http://127.0.0.1:{p.port}/api/v1/health", 120, procs)
        start(procs[-1], logs)
        wait_for(f"http://{addresses['public']}/api/v1/health", 30, procs)
        layout = {"public": f"http://{addresses['public']}", "staff": f"http://{addresses['staff']}",
                  "run_dir": str(run_dir), "processes": {
                      p.name: {"pid": p.popen.pid if p.popen else None, "port": p.port, "database_user": p.database_user,
                               "log": str(logs / f"{p.name}.log")} for p in procs}}
        (run_dir / "layout.json").write_text(json.dumps(layout, indent=2))
        print(f"public:  http://{addresses['public']}   (portal, /report, /api/v1/match, the blocking list's feed)")
        print(f"staff:   http://{addresses['staff']}   (sign-in, plan office, hotline; keep it off the Internet)")
        print(f"processes: {', '.join(p.name for p in procs)}; logs in {logs}; Ctrl-C stops them", flush=True)
        while True:
            check_running(procs)
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    except SystemExit as exc:
        print(f"stopping: {exc}", file=sys.stderr)
        code = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stop(procs)
        (run_dir / "layout.json").unlink(missing_ok=True)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
