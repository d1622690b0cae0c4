"""The composition root: which domains a process role runs, and what they give it.

`create_app(settings)` (mamoru.web.app) and the CLI ask this module for a role's domains, settings
classes and indicator providers; nothing is registered as a side effect of importing a module. The
order of DOMAINS is the order of the layers, lowest first (pyproject.toml's import-linter contract
states the same direction).
"""

from __future__ import annotations

from collections.abc import Mapping

from mamoru import config, domain
from mamoru.auth import setup as auth_setup
from mamoru.blocklist import setup as blocklist_setup
from mamoru.domain import DomainSetup, IndicatorProvider
from mamoru.followup import setup as followup_setup
from mamoru.hotline import setup as hotline_setup
from mamoru.matching import setup as matching_setup
from mamoru.plan import setup as plan_setup

AUTH: DomainSetup = auth_setup.DOMAIN
PLAN: DomainSetup = plan_setup.DOMAIN
FOLLOWUP: DomainSetup = followup_setup.DOMAIN
MATCHING: DomainSetup = matching_setup.DOMAIN
BLOCKLIST: DomainSetup = blocklist_setup.DOMAIN
HOTLINE: DomainSetup = hotline_setup.DOMAIN

DOMAINS: tuple[DomainSetup, ...] = (AUTH, PLAN, FOLLOWUP, MATCHING, BLOCKLIST, HOTLINE)
ROLES = (domain.ALL, *domain.PROCESS_ROLES)


def check_role(role: str) -> str:
    if role not in ROLES:
        raise ValueError(f"unknown process role {role!r}; choose {', '.join(ROLES)}")
    return role


def domains_for(role: str) -> tuple[DomainSetup, ...]:
    check_role(role)
    return tuple(d for d in DOMAINS if d.serves(role))


def settings_classes(role: str) -> tuple[type, ...]:
    """The typed settings a process of `role` receives: those of the domains it runs, no others."""
    return tuple(d.settings for d in domains_for(role) if d.settings is not None)


def all_settings_classes() -> tuple[type, ...]:
    """Every domain's settings class (the generated docs/settings.md lists them all)."""
    return tuple(d.settings for d in DOMAINS if d.settings is not None)


def load_settings(env: Mapping[str, str] | None = None) -> config.Settings:
    """The settings of a process from its environment: the core, then the settings of the domains
    its MAMORU_ROLE runs and no others (ValueError naming the variable for a malformed value)."""
    role = check_role(config.from_env(config.Settings, env).role)
    return config.Settings.from_env(env, domain_classes=settings_classes(role))


def all_providers() -> tuple[IndicatorProvider, ...]:
    return tuple(p for d in DOMAINS for p in d.providers)


def live_providers(role: str) -> Mapping[str, IndicatorProvider]:
    """Providers a process of `role` computes itself (its database user may read what they read)."""
    check_role(role)
    return {p.code: p for p in all_providers() if p.computed_in(role)}


SHOWS_INDICATORS = ("portal", "office")
"""The process roles whose pages show indicators."""


def published_by(setup: DomainSetup) -> tuple[IndicatorProvider, ...]:
    """The providers of a domain that its worker publishes: those some indicator-showing process may
    not compute itself."""
    return tuple(p for p in setup.providers if not all(p.computed_in(r) for r in SHOWS_INDICATORS))
