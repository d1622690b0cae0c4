"""The plan registry's contribution: pillars, measures, agencies, revisions, the timeline.

Read by the public portal and kept by the plan office; the hotline reads the plan's definitions
(legal terms cited in deletion requests).
"""

from mamoru.domain import DomainSetup

DOMAIN = DomainSetup(name="plan", roles=frozenset({"portal", "office", "hotline"}),
                     # lineage: a measure's predecessors across plans, for the follow-up's measure history
                     offers=("mamoru.plan.models", "mamoru.plan.service", "mamoru.plan.lineage"))
