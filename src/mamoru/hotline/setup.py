"""The hotline's contribution: reports, cases, assessment, notices, removal checks, its figures.

Runs in the hotline process (staff pages, API and worker), in the public intake process (which only
writes to the inbox) and in the matcher (platforms' match reports go to the inbox). Its figures are
computed only where hotline tables may be read, and published by the worker for everyone else.
Links: it feeds the blocking list and the hash banks through one adapter each
(mamoru.hotline.to_blocklist, mamoru.hotline.to_banks), using those domains' public functions.
"""

from mamoru.domain import DomainSetup
from mamoru.hotline.indicators import PROVIDERS
from mamoru.hotline.settings import HotlineSettings

DOMAIN = DomainSetup(
    name="hotline",
    roles=frozenset({"hotline", "intake", "matcher"}),
    settings=HotlineSettings,
    providers=PROVIDERS,
)
