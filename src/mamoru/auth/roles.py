"""Role names and what each may do, in one place so every door checks the same rules.

Roles are stored as lower-case strings with underscores; the command line and the API use the
same names. Later domains (hotline, matching, blocklist) add their roles here.
"""

from __future__ import annotations

ADMINISTRATOR = "administrator"
COORDINATOR = "coordinator"
AGENCY_OFFICER = "agency_officer"
AUDITOR = "auditor"
ANALYST = "analyst"
SENIOR_ANALYST = "senior_analyst"
PLATFORM = "platform"
SUBSCRIBER = "subscriber"

ALL_ROLES: tuple[str, ...] = (
    ADMINISTRATOR,
    COORDINATOR,
    AGENCY_OFFICER,
    AUDITOR,
    ANALYST,
    SENIOR_ANALYST,
    PLATFORM,
    SUBSCRIBER,
)

ROLE_LABELS: dict[str, tuple[str, str]] = {
    ADMINISTRATOR: ("Administrator", "管理者"),
    COORDINATOR: ("Coordinator (plan office)", "調整担当（計画事務局）"),
    AGENCY_OFFICER: ("Agency officer", "府省庁担当者"),
    AUDITOR: ("Auditor", "監査担当"),
    ANALYST: ("Hotline analyst", "ホットライン分析担当"),
    SENIOR_ANALYST: ("Senior analyst", "上級分析担当"),
    PLATFORM: ("Platform", "プラットフォーム事業者"),
    SUBSCRIBER: ("Blocklist subscriber (ISP, filtering)", "ブロッキングリスト購読者（ISP等）"),
}

# API token scopes. A token carries scopes; a role limits which scopes it may be given. Every API
# route that needs an account names the scope of its domain (reading or writing) and its roles; a
# request with a token needs both the role and the scope, a browser session holds every scope of
# its role (web/deps.py). docs/roles.md lists which route needs which scope.
SCOPES: dict[str, str] = {
    "plan:read": "read the plan registry, including unpublished data",
    "plan:write": "change the plan registry (coordinator) or an agency profile (agency officer)",
    "audit:read": "read the audit log",
    "users:read": "list user accounts and anyone's API tokens (administrator)",
    "users:write": "create user accounts and revoke anyone's API tokens (administrator)",
    "hotline:read": "read the hotline's queue, cases, referral records, QA sample, providers and labels "
                    "(reporters' contacts stay closed without hotline:contact)",
    "hotline:write": "work the hotline's cases (assess, assign, trace, refer, hold, forward, notices, hashes, "
                     "proposals to the blocking list and the hash bank), review assessments, keep providers and labels",
    "hotline:contact": "open reporters' contacts when reading a case (each opening is audited)",
    "hotline:figures": "read the hotline's figures (counts, times and rates)",
    "match": "query the hash-matching service",
    "feed": "fetch the blocking list feed",
    "flagger": "submit reports as a trusted flagger",
    "blocklist": "read and change the blocking list's entries, appeals and versions, as the holder's role allows",
    "banks": "read and change the hash banks and platforms' bank choices, as the holder's role allows",
}

HOTLINE_STAFF_SCOPES = frozenset({"hotline:read", "hotline:write", "hotline:contact", "hotline:figures"})

ROLE_SCOPES: dict[str, frozenset[str]] = {
    ADMINISTRATOR: frozenset({"plan:read", "plan:write", "audit:read", "users:read", "users:write", "blocklist",
                              "banks", "hotline:figures"}),
    COORDINATOR: frozenset({"plan:read", "plan:write", "hotline:figures"}),
    AGENCY_OFFICER: frozenset({"plan:read", "plan:write"}),
    AUDITOR: frozenset({"plan:read", "audit:read", "blocklist", "banks", "hotline:figures"}),
    ANALYST: frozenset({"plan:read", "flagger", "blocklist", "banks"}) | HOTLINE_STAFF_SCOPES,
    SENIOR_ANALYST: frozenset({"plan:read", "flagger", "blocklist", "banks"}) | HOTLINE_STAFF_SCOPES,
    PLATFORM: frozenset({"match"}),
    SUBSCRIBER: frozenset({"feed"}),
}


def may_hold(role: str, scope: str) -> bool:
    """Whether an account of `role` may hold `scope` (a token of it, or its browser session)."""
    return scope in ROLE_SCOPES.get(role, frozenset())

def is_role(name: str) -> bool:
    return name in ALL_ROLES


def can_edit_plan_text(role: str) -> bool:
    """The plan's wording was decided by ministers: only the plan office amends it."""
    return role == COORDINATOR


def can_read_audit(role: str) -> bool:
    return role in {ADMINISTRATOR, AUDITOR}


def can_edit_agency_profile(role: str, user_agency: str | None, agency_code: str) -> bool:
    """Coordinators keep every profile; an agency officer only their own agency's."""
    if role == COORDINATOR:
        return True
    return role == AGENCY_OFFICER and user_agency is not None and user_agency == agency_code
