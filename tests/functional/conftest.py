"""CLI fixtures: a fresh, migrated database per test on each backend (a copy of the session's migrated
one: tests/conftest.py `migrated_copy`), and a runner bound to it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.conftest import BACKENDS, TEST_PASSWORD, MigratedCopy
from typer.testing import CliRunner


@dataclass
class Cli:
    env: dict[str, str]
    runner: CliRunner

    def __call__(self, *args: str, input: str | None = None, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
        from mamoru.cli.app import app

        return self.runner.invoke(app, list(args), env={**self.env, **(env or {})}, input=input,
                                  catch_exceptions=False)


@pytest.fixture(params=BACKENDS)
def cli(request: pytest.FixtureRequest, tmp_path: Path, migrated_copy: MigratedCopy) -> Iterator[Cli]:
    url, drop = migrated_copy(request.param, tmp_path)
    env = {"MAMORU_DATABASE_URL": url, "MAMORU_VAR_DIR": str(tmp_path / "var"),
           "MAMORU_NEW_PASSWORD": TEST_PASSWORD, "MAMORU_AUDIT_KEY": str(tmp_path / "keys" / "audit.key")}
    yield Cli(env=env, runner=CliRunner())
    drop()


@pytest.fixture
def loaded_cli(cli: Cli) -> Cli:
    r = cli("plan", "load")
    assert r.exit_code == 0, r.output
    return cli
