"""The web door of accounts: sign-in, account page, users (pages) and tokens (API).

Served by every process that authenticates staff; not by the portal, the intake form, or the
matcher and feed (which take API tokens and serve no sign-in page).
"""

from mamoru.web.auth import api, api_users, outbox, ui, ui_users

# An account's page and its changes (role, e-mail, deactivation) are the office's alone: its
# database user is the one that may UPDATE those columns of users (mamoru.separation).
ROUTES = {
    "office": (api.router, ui.router, outbox.router, api_users.router, ui_users.router),
    "hotline": (api.router, ui.router, outbox.router),
}
