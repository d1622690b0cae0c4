"""Settings for tests, built the way a process builds them: from MAMORU_* variables, through
Settings.from_env, with the settings of every domain (a test that needs fewer passes its own).

make_settings(tmp_path, env={"MAMORU_MATCH_RATE": "2/60"}, role="intake") never reads os.environ:
the given variables go over test defaults (state in tmp_path, an in-memory SQLite URL, a fixed
cookie secret), and keyword arguments replace core fields afterwards.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mamoru.composition import all_settings_classes
from mamoru.config import Settings


def make_settings(tmp_path: Path, env: Mapping[str, str] | None = None, *,
                  domain_classes: tuple[type, ...] | None = None, **core: Any) -> Settings:
    base = {"MAMORU_VAR_DIR": str(tmp_path), "MAMORU_DATABASE_URL": "sqlite://", "MAMORU_SECRET_KEY": "test-secret",
            "MAMORU_AUDIT_KEY": str(tmp_path / "keys" / "audit.key"),
            # The match counters are written with each request: a test's database is one connection,
            # which a timer thread writing them later must not share (test_counts_concurrency.py tests
            # the collected counts).
            "MAMORU_MATCH_COUNT_SECONDS": "0"}
    settings = Settings.from_env({**base, **(env or {})},
                                 domain_classes=all_settings_classes() if domain_classes is None else domain_classes)
    if "var_dir" in core:
        raise TypeError("var_dir is tmp_path (domain defaults follow it); pass MAMORU_VAR_DIR in env instead")
    return dataclasses.replace(settings, **core) if core else settings


def with_domain(settings: Settings, cls: type, **fields: Any) -> Settings:
    """`settings` with some fields of one domain's settings changed (the process's settings are
    frozen: a test that changes a setting mid-way puts this copy on app.state)."""
    changed = dataclasses.replace(settings.domain(cls), **fields)
    return dataclasses.replace(settings, domains={**settings.domains, cls: changed})
