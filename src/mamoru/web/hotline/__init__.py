"""The web door of the hotline: staff pages and API, and the public report form.

The public form (report_form) is all the `intake` process serves.
"""

from mamoru.web.hotline import api, report_form, ui

ROUTES = {
    "hotline": (api.router, ui.router, report_form.router),
    "intake": (report_form.router,),
}
