"""The web door of the plan registry: public pages and API of pillars, measures, agencies, timeline."""

from mamoru.web.plan import api, ui

ROUTES = {
    "portal": (ui.router, api.router),
    "office": (ui.router, api.router),
}
