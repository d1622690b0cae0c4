"""The web door of the hotline: staff pages and API, and the public report form.

The public form (report_form) and the reporters' status lookup (report_status) are all the
`intake` process serves.
"""

from mamoru.web.hotline import api, report_form, report_status, ui

PUBLIC = (report_form.router, report_status.router, report_status.api)
ROUTES = {
    "hotline": (api.router, ui.router, *PUBLIC),
    "intake": PUBLIC,
}
