"""The web door of the follow-up: rounds, entries, indicators, meetings, alignment, materials.

Staff pages and API for the plan office (the public side is mamoru.web.portal).
"""

from mamoru.web.followup import (
    api,
    api_alignment,
    api_errata,
    api_indicators,
    api_materials,
    api_meetings,
    api_prefectures,
    ui_alignment,
    ui_entries,
    ui_errata,
    ui_indicators,
    ui_materials,
    ui_meetings,
    ui_rounds,
)

ROUTES = {
    "office": (api.router, api_indicators.router, api_prefectures.router, api_meetings.router,
               api_alignment.router, api_materials.router, api_errata.router, ui_rounds.router, ui_entries.router,
               ui_indicators.router, ui_meetings.router, ui_alignment.router, ui_materials.router, ui_errata.router),
}
