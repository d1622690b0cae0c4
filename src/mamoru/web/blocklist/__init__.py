"""The web door of the blocking list: the subscribers' feed, staff pages and API, the public notice page."""

from mamoru.blocklist import signing
from mamoru.blocklist.settings import BlocklistSettings
from mamoru.config import Settings
from mamoru.web.blocklist import api, feed, notice, ui

ROUTES = {
    "feed": (feed.router,),
    "hotline": (ui.router, api.router),
    "portal": (notice.router,),
}

PUBLISHING_ROLES = ("hotline", "all")
"""The roles whose processes publish (sign) the list. The feed serves stored, signed files and
signs nothing."""


def prepare(settings: Settings) -> None:
    """At start, in a process that publishes: the signing key must be there (signing.signing_key:
    a configured MAMORU_BLOCKLIST_KEY that is missing or unreadable stops the process, naming the
    path, instead of a new key being made on the first publication)."""
    if settings.role in PUBLISHING_ROLES:
        cfg = settings.domain(BlocklistSettings)
        if cfg.key_configured:  # the default key is made on the first publication (`make run`)
            signing.signing_key(cfg)
