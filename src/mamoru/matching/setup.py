"""Hash matching's contribution: banks, the index and its snapshots, the match API.

The matcher process answers platforms; the hotline process keeps the banks.
"""

from mamoru.domain import DomainSetup

DOMAIN = DomainSetup(name="matching", roles=frozenset({"matcher", "hotline"}))
