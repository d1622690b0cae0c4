"""Hash matching's contribution: banks, the index and its snapshots, the match API.

The matcher process answers platforms; the hotline process keeps the banks.
"""

from mamoru.domain import DomainSetup
from mamoru.matching.settings import MatchingSettings

DOMAIN = DomainSetup(
    name="matching", roles=frozenset({"matcher", "hotline"}), settings=MatchingSettings,
    # the hotline adds a case's hashes to a bank (service, banks) and checks platforms' reports (answers...)
    offers=("mamoru.matching.service", "mamoru.matching.banks", "mamoru.matching.answers", "mamoru.matching.index",
            "mamoru.matching.matcher", "mamoru.matching.hashing"),
)
