"""The web door of the plan registry: public pages and API of pillars, measures, agencies, timeline."""

from mamoru.web.plan import api, api_import, ui, ui_import

ROUTES = {
    "portal": (ui.router, api.router),
    # the measure-list import writes the plan: the staff listener's office process only
    "office": (ui.router, api.router, ui_import.router, api_import.router),
}
