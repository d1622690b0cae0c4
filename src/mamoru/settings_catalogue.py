"""Every domain's settings class, for the places that build settings before anything narrows them
by process role (app_from_env, the CLI) and for the generated docs/settings.md.

The composition root that gives each role only the domains it serves (mamoru.system) will choose
from these; until then a process receives them all.
"""

from __future__ import annotations

from mamoru.blocklist.settings import BlocklistSettings
from mamoru.hotline.settings import HotlineSettings
from mamoru.matching.settings import MatchingSettings

ALL_DOMAIN_SETTINGS: tuple[type, ...] = (HotlineSettings, MatchingSettings, BlocklistSettings)
