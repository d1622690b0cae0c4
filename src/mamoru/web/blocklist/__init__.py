"""The web door of the blocking list: the subscribers' feed, staff pages and API, the public notice page."""

from mamoru.web.blocklist import api, feed, notice, ui

ROUTES = {
    "feed": (feed.router,),
    "hotline": (ui.router, api.router),
    "portal": (notice.router,),
}
