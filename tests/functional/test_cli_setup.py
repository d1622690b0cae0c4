"""`mamoru setup` on a fresh database: the first administrator's generated password is printed once,
works for signing in, and a second setup neither prints nor replaces it."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import text
from tests.conftest import login
from tests.functional.conftest import Cli
from tests.settings_support import make_settings

from mamoru.db import Database, make_engine


def _password_hash(cli: Cli, username: str) -> str:
    engine = make_engine(cli.env["MAMORU_DATABASE_URL"])
    with engine.connect() as c:
        value = c.execute(text("SELECT password_hash FROM users WHERE username = :u"), {"u": username}).scalar_one()
    engine.dispose()
    return str(value)


def _can_sign_in(cli: Cli, tmp_path: Path, username: str, password: str) -> bool:
    url = cli.env["MAMORU_DATABASE_URL"]
    settings = make_settings(tmp_path / "web", {"MAMORU_DATABASE_URL": url,
                                                "MAMORU_AUDIT_KEY": str(tmp_path / "keys" / "audit.key")})
    database = Database.from_url(url)
    from mamoru.web.app import create_app

    try:
        with TestClient(create_app(settings, database)) as client:
            try:
                login(client, username, password)
            except AssertionError:
                return False
            return client.get("/api/v1/me").json()["username"] == username
    finally:
        database.engine.dispose()


def test_setup_prints_a_generated_password_once_and_keeps_it(cli: Cli, tmp_path: Path) -> None:
    no_password = {"MAMORU_ADMIN_PASSWORD": None}  # type: ignore[dict-item]  # None unsets it for the run
    r = cli("setup", "--admin", "chief", env=no_password)
    assert r.exit_code == 0, r.output
    found = re.findall(r"administrator created: username chief  password (\S+)", r.stdout)
    assert len(found) == 1, r.stdout
    password = found[0]
    assert len(password) >= 12 and r.stdout.count(password) == 1
    assert "shown once" in r.stdout
    stored = _password_hash(cli, "chief")
    assert password not in stored

    assert _can_sign_in(cli, tmp_path, "chief", password)
    assert not _can_sign_in(cli, tmp_path, "chief", password + "x")

    again = cli("setup", "--admin", "chief", env=no_password)
    assert again.exit_code == 0, again.output
    assert "password" not in again.stdout and password not in again.output
    assert _password_hash(cli, "chief") == stored
    assert _can_sign_in(cli, tmp_path, "chief", password)


def test_setup_takes_the_password_from_the_environment_without_printing_it(cli: Cli, tmp_path: Path) -> None:
    r = cli("setup", env={"MAMORU_ADMIN_PASSWORD": "a-chosen-admin-password"})
    assert r.exit_code == 0, r.output
    assert "a-chosen-admin-password" not in r.output and "MAMORU_ADMIN_PASSWORD" in r.stderr
    assert _can_sign_in(cli, tmp_path, "admin", "a-chosen-admin-password")
