"""What a domain contributes to a process, declared in one place: the domain's `setup.py`.

Each domain package (auth, plan, followup, hotline, matching, blocklist) has a module `setup` with
one `DomainSetup`. It says in which process roles the domain runs, which typed settings it reads,
which indicator providers it offers (and in which roles they may be computed: only where the
process's database user may read what the provider reads), and the modules it offers other domains
(its public functions and the small adapters they call; tests/unit/test_layering.py checks that no
domain imports anything else of another). `mamoru.composition` composes them for a process role; importing a module registers
nothing anywhere.

This module is foundation: it imports no domain.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

ALL = "all"
"""The development role (`make run`): one process serves everything with one database user."""

PROCESS_ROLES = ("portal", "office", "hotline", "intake", "matcher", "feed")
"""The production roles, each its own process and database user (mamoru.separation)."""

PERIOD_TYPES = ("calendar", "fiscal")


@dataclass(frozen=True)
class Computed:
    """One computed value of an indicator: "FY2026" (fiscal) or "2026" (calendar)."""

    period: str
    value: float
    category: str = ""
    note: str = ""


@dataclass(frozen=True)
class IndicatorProvider:
    """A figure one domain computes for the plan's indicators.

    `compute(session, period_type, measures)` reads the domain's own tables (`measures`: the stable
    ids of the measures the indicator is linked to; published figures are computed without them, so
    a provider that needs them is computed live only). Only processes of `roles` (and the
    development role `all`) compute it: they show it live, and the domain's worker publishes it as
    stored figures (mamoru.followup.figures) with its source and time, which every other process,
    the public portal above all, shows instead.
    """

    code: str
    compute: Callable[[Session, str, Sequence[str]], list[Computed]]
    roles: frozenset[str]
    source: str = ""

    def computed_in(self, role: str) -> bool:
        return role == ALL or role in self.roles


@dataclass(frozen=True)
class DomainSetup:
    """One domain's contribution (see the module docstring)."""

    name: str
    roles: frozenset[str]
    settings: type | None = None
    providers: tuple[IndicatorProvider, ...] = ()
    offers: tuple[str, ...] = ()
    """The modules of this domain that other domains may import (the domains above it in the layers)."""

    def serves(self, role: str) -> bool:
        return role == ALL or role in self.roles
