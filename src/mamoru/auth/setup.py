"""The accounts domain's contribution: users, roles, API tokens and web sessions.

Runs in every process that authenticates someone. The public portal and the public intake form
authenticate nobody and get nothing of it (their database users may not read the auth tables).
"""

from mamoru.domain import DomainSetup

DOMAIN = DomainSetup(name="auth", roles=frozenset({"office", "hotline", "matcher", "feed"}),
                     offers=("mamoru.auth.models", "mamoru.auth.roles", "mamoru.auth.tokens"))  # who acts, what a role may do, a token's life
