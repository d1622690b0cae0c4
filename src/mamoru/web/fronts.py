"""The two listeners of the production layout and which process role answers which API path on each:
the routing of deploy/nginx/mamoru.conf, stated for the API documentation each listener serves
(mamoru.web.openapi). tests/e2e/test_production_layout.py requests every documented path through
nginx and checks that the role named here answers it: an nginx location changed without this table
(or the reverse) fails there.

Pages and static files are not here: the documents describe the API only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Front:
    """A listener: the role serving its docs page, and its API routes as (role, path pattern), the
    first match winning (nginx's regular-expression locations, in the configuration's order)."""

    name: str
    docs_role: str
    routes: tuple[tuple[str, str], ...]

    def role_for(self, path: str) -> str | None:
        """The role this listener sends `path` (an OpenAPI path, {parameters} included) to; None: nginx
        answers 404 itself."""
        return next((role for role, pattern in self.routes if re.search(pattern, path)), None)

    def roles(self) -> list[str]:
        return list(dict.fromkeys(role for role, _ in self.routes))


PUBLIC = Front("public", "portal", (
    ("matcher", r"^/api/v1/match(/|$)"),
    ("intake", r"^/api/v1/report/status$"),
    ("feed", r"^/api/v1/blocklist/(snapshots|deltas|keys)(/|$)"),
    ("portal", r"^/api/v1/(plans|measures|agencies|definitions|prefectures|timeline|health)(/|$)"),
    ("portal", r"^/api/v1/followup/(indicators|materials|prefectures|services)(/|$)"),
))
STAFF = Front("staff", "office", (
    ("hotline", r"^/api/v1/(hotline|banks)(/|$)"),
    ("feed", r"^/api/v1/blocklist/access-log$"),
    ("hotline", r"^/api/v1/blocklist/"),
    ("office", r"^/api/"),
))
FRONTS = (PUBLIC, STAFF)


def docs_front(role: str) -> Front | None:
    """The listener whose documentation a process of `role` serves (None: its own API only)."""
    return next((f for f in FRONTS if f.docs_role == role), None)
