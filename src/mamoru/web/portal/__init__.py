"""The public portal: published follow-up, indicators, help directory (pages and API).

The portal process serves it read-only; the office serves its API too (staff see what is public).
"""

from mamoru.web.portal import api, history, indicator_pages, opendata, ui

ROUTES = {
    "portal": (api.router, ui.router, indicator_pages.router, opendata.router, history.router, history.api_router),
    "office": (api.router, history.api_router),
}
