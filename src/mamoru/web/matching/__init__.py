"""The web door of hash matching: the match API (matcher) and the banks' pages and API (hotline)."""

from mamoru.web.matching import api, api_banks, ui

ROUTES = {
    "matcher": (api.router,),
    "hotline": (ui.router, api_banks.router),
}
