"""A process that would publish the list without its configured signing key refuses to start.

MAMORU_BLOCKLIST_KEY set: the hotline process (and `all`) does not start and `mamoru blocklist
publish` exits 2, both naming the path, when the file is missing or unreadable; no key is made in
its place (a new key nobody trusts would sign the next list). Only `mamoru blocklist key rotate`
makes it. Unset, the default var/keys/blocklist.key is made on the first publication (`make run`).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.functional.conftest import Cli
from tests.settings_support import make_settings

from mamoru.blocklist import signing
from mamoru.db import Database
from mamoru.web.app import create_app


@pytest.mark.parametrize("role", ["hotline", "all"])
def test_a_publishing_process_without_its_configured_key_does_not_start(tmp_path: Path, role: str) -> None:
    key = tmp_path / "etc" / "blocklist.key"
    settings = make_settings(tmp_path, {"MAMORU_BLOCKLIST_KEY": str(key), "MAMORU_ROLE": role})
    database = Database.from_url("sqlite://")
    with pytest.raises(signing.KeyUnavailable, match=f"{key}.*does not exist"):
        create_app(settings, database)
    assert not key.exists() and not key.parent.exists()  # nothing made in its place

    key.parent.mkdir()
    key.write_text("not a key\n")
    with pytest.raises(signing.KeyUnavailable, match=f"{key}.*cannot be read"):
        create_app(settings, database)

    key.unlink()
    signing.rotate_key(key)  # `mamoru blocklist key rotate` makes it; then the process starts
    assert create_app(settings, database) is not None


def test_the_feed_signs_nothing_and_starts_without_the_key(tmp_path: Path) -> None:
    key = tmp_path / "missing.key"
    settings = make_settings(tmp_path, {"MAMORU_BLOCKLIST_KEY": str(key), "MAMORU_ROLE": "feed"})
    assert create_app(settings, Database.from_url("sqlite://")) is not None and not key.exists()


def test_without_the_setting_the_default_key_is_made_on_first_publication(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, {"MAMORU_ROLE": "hotline"})
    assert create_app(settings, Database.from_url("sqlite://")) is not None
    from mamoru.blocklist.settings import BlocklistSettings

    cfg = settings.domain(BlocklistSettings)
    assert cfg.key_path == tmp_path / "keys" / "blocklist.key" and not cfg.key_configured
    signing.signing_key(cfg)
    assert cfg.key_path.exists()


def test_publish_exits_2_naming_the_missing_configured_key_and_key_rotate_makes_it(cli: Cli, tmp_path: Path) -> None:
    key = tmp_path / "etc" / "bl.key"
    env = {"MAMORU_BLOCKLIST_KEY": str(key)}
    assert cli("user", "add", "sena", "--role", "senior_analyst").exit_code == 0
    r = cli("blocklist", "publish", "--as", "sena", env=env)
    assert r.exit_code == 2 and str(key) in r.stderr and "does not exist" in r.stderr, r.output
    assert not key.exists()
    shown = cli("blocklist", "key", "show", env=env)
    assert shown.exit_code == 2 and str(key) in shown.stderr and not key.exists()

    rotated = cli("blocklist", "key", "rotate", env=env)
    assert rotated.exit_code == 0 and key.exists(), rotated.output
    r = cli("blocklist", "publish", "--as", "sena", env=env)
    assert r.exit_code == 0 and "published version 0" in r.stdout, r.output

    key.write_text("garbage\n")
    r = cli("blocklist", "publish", "--as", "sena", env=env)
    assert r.exit_code == 2 and str(key) in r.stderr and "cannot be read" in r.stderr, r.output


def test_publish_without_the_setting_makes_the_default_key(cli: Cli, tmp_path: Path) -> None:
    assert cli("user", "add", "sena", "--role", "senior_analyst").exit_code == 0
    r = cli("blocklist", "publish", "--as", "sena")
    assert r.exit_code == 0, r.output
    assert (tmp_path / "var" / "keys" / "blocklist.key").exists()
