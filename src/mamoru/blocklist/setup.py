"""The blocking list's contribution: entries, four eyes, versions, signed publications, the feed.

The feed process serves subscribers; the hotline process keeps the list; the portal serves the
public notice page (/blocked), which reads no table, only the appeal contact setting.
"""

from mamoru.blocklist.settings import BlocklistSettings
from mamoru.domain import DomainSetup

DOMAIN = DomainSetup(
    name="blocklist", roles=frozenset({"feed", "hotline", "portal"}), settings=BlocklistSettings,
    # the hotline proposes a case's URL and applies verified removals through from_cases
    offers=("mamoru.blocklist.from_cases", "mamoru.blocklist.models", "mamoru.blocklist.service"),
)
