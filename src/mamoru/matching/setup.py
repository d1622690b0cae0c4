"""Hash matching's contribution: banks, the index and its snapshots, the match API.

The matcher process answers platforms; the hotline process keeps the banks.
"""

from mamoru.domain import DomainSetup
from mamoru.matching.settings import MatchingSettings

DOMAIN = DomainSetup(name="matching", roles=frozenset({"matcher", "hotline"}), settings=MatchingSettings)
