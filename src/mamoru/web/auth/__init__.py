"""The web door of accounts: sign-in, account page, users (pages) and tokens (API).

Served by every process that authenticates staff; not by the portal, the intake form, or the
matcher and feed (which take API tokens and serve no sign-in page).
"""

from mamoru.web.auth import api, outbox, ui

ROUTES = {
    "office": (api.router, ui.router, outbox.router),
    "hotline": (api.router, ui.router, outbox.router),
}
