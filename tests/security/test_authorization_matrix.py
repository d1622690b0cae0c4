"""Authorization matrix: every route of the app (HTML and API) against every role, in every way of
authenticating.

The routes come from the app's route table (create_app with process role "all"), so a route
added without a rule here fails `test_every_route_has_a_rule`. For each route, role and way the test
makes one request and classifies the answer: *denied* is 401, 403, or a redirect to /login;
anything else (200, 404 for an id of another kind, 409, 422 for an empty body...) means the request
got past the door. The ways (WAYS):

- `session`: a signed-in browser session cookie with its CSRF token, on every route (a session
  holds every scope of its role); the routes of TOKEN_ONLY refuse every session.
- `token`: a Bearer API token holding every scope the role may hold, and no cookie. Pages ignore
  tokens (they answer as to anonymous), so only public pages are reached.
- `narrow`: a token holding only `plan:read`, unrelated to most routes (for the platform and the
  subscriber, whose roles may not hold it, a token left with it from an earlier role): denied on
  every route that needs another scope (scope_needed), and on plan:read routes too where the
  owner's role may not hold plan:read.

`test_each_api_route_needs_the_scope_of_its_domain` then takes, for every API route and every role
it admits, a token with all of the role's scopes but the one the route needs: denied.
This checks the door (the route's role and scope dependencies, and service checks reached with an
empty body); agency scoping and four-eyes with real bodies are tested by each domain's own tests.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.conftest import login
from tests.security.routes import flat_routes

from mamoru.auth import roles as R

ANON = "anonymous"
ROLES = [ANON, *R.ALL_ROLES]
EVERYONE = frozenset(ROLES)
SIGNED_IN = frozenset(R.ALL_ROLES)
NOBODY: frozenset[str] = frozenset()
HOTLINE = frozenset({R.ANALYST, R.SENIOR_ANALYST})
OFFICE_READ = frozenset({R.ADMINISTRATOR, R.COORDINATOR, R.AGENCY_OFFICER, R.AUDITOR})
PLAN_WRITE_SCOPE = frozenset({R.ADMINISTRATOR, R.COORDINATOR, R.AGENCY_OFFICER})  # then checked by the service
COORD = frozenset({R.COORDINATOR})
COORD_OR_AGENCY = frozenset({R.COORDINATOR, R.AGENCY_OFFICER})
BLOCKLIST_READ = frozenset({R.ADMINISTRATOR, R.AUDITOR, R.ANALYST, R.SENIOR_ANALYST})
BLOCKLIST_EDIT = frozenset({R.ADMINISTRATOR, R.ANALYST, R.SENIOR_ANALYST})
BLOCKLIST_SENIOR = frozenset({R.ADMINISTRATOR, R.SENIOR_ANALYST})
AUDIT = frozenset({R.ADMINISTRATOR, R.AUDITOR})


def roles(*names: str) -> frozenset[str]:
    return frozenset(names)


# "METHOD path" -> the roles whose request gets past the door. Reviewed route by route (2026-11-28);
# a new route must be added here with the roles that should reach it.
RULES: dict[str, frozenset[str]] = {
    "GET /": EVERYONE,
    "GET /account": SIGNED_IN,
    "POST /account/lang": SIGNED_IN,  # the signed-in user's own language only
    "POST /account/tokens": SIGNED_IN,
    "POST /account/tokens/{token_id}/revoke": SIGNED_IN,  # the service then finds only the user's own
    "GET /admin/users": roles('administrator'),
    "GET /admin/outbox": roles('administrator'),
    "POST /admin/users": roles('administrator'),
    "GET /admin/users/{username}": roles('administrator'),
    "POST /admin/users/{username}/edit": roles('administrator'),
    "POST /admin/users/{username}/deactivate": roles('administrator'),
    "POST /admin/users/{username}/activate": roles('administrator'),
    "GET /agencies": EVERYONE,
    "GET /agencies/{code}": EVERYONE,
    "POST /agencies/{code}/edit": COORD,
    "POST /agencies/{code}/profile": COORD_OR_AGENCY,
    "GET /api/v1/agencies": EVERYONE,
    "GET /api/v1/agencies/{code}": EVERYONE,
    "PATCH /api/v1/agencies/{code}": PLAN_WRITE_SCOPE,
    "GET /api/v1/agencies/{code}/profile": OFFICE_READ,
    "PUT /api/v1/agencies/{code}/profile": PLAN_WRITE_SCOPE,
    "GET /api/v1/audit": AUDIT,
    "GET /api/v1/banks": roles('administrator', 'auditor', 'analyst', 'senior_analyst'),
    "POST /api/v1/banks": roles('administrator', 'senior_analyst'),
    "GET /api/v1/banks/entries/{entry_id}": roles('administrator', 'auditor', 'analyst', 'senior_analyst'),
    "POST /api/v1/banks/entries/{entry_id}/disable": roles('administrator', 'senior_analyst'),
    "POST /api/v1/banks/entries/{entry_id}/enable": roles('administrator', 'senior_analyst'),
    "PUT /api/v1/banks/platforms/{username}": roles('administrator'),
    "GET /api/v1/banks/{name}/export": roles('administrator', 'auditor', 'analyst', 'senior_analyst'),
    "POST /api/v1/banks/{name}/import": roles('administrator', 'senior_analyst'),
    "GET /api/v1/blocklist/access-log": AUDIT,
    "GET /api/v1/blocklist/appeals": BLOCKLIST_READ,
    "POST /api/v1/blocklist/appeals/{appeal_id}/decision": BLOCKLIST_SENIOR,
    "GET /api/v1/blocklist/deltas": roles('subscriber'),
    "GET /api/v1/blocklist/deltas/{from_version}/{to_version}": roles('subscriber'),
    "GET /api/v1/blocklist/deltas/{from_version}/{to_version}/signature": roles('subscriber'),
    "GET /api/v1/blocklist/entries": BLOCKLIST_READ,
    "POST /api/v1/blocklist/entries": BLOCKLIST_EDIT,
    "GET /api/v1/blocklist/entries/review-due": BLOCKLIST_READ,
    "GET /api/v1/blocklist/entries/{entry_id}": BLOCKLIST_READ,
    "POST /api/v1/blocklist/entries/{entry_id}/appeals": BLOCKLIST_EDIT,
    "POST /api/v1/blocklist/entries/{entry_id}/confirm": BLOCKLIST_EDIT,
    "POST /api/v1/blocklist/entries/{entry_id}/reject": BLOCKLIST_EDIT,
    "POST /api/v1/blocklist/entries/{entry_id}/remove": BLOCKLIST_EDIT,
    "POST /api/v1/blocklist/entries/{entry_id}/reverify": BLOCKLIST_EDIT,
    "GET /api/v1/blocklist/keys": EVERYONE,
    "POST /api/v1/blocklist/publications": BLOCKLIST_SENIOR,
    "GET /api/v1/blocklist/snapshots/{fmt}": roles('subscriber'),
    "GET /api/v1/blocklist/snapshots/{fmt}/signature": roles('subscriber'),
    "GET /api/v1/blocklist/subscribers": roles('administrator'),
    "PUT /api/v1/blocklist/subscribers/{username}": roles('administrator'),
    "GET /api/v1/blocklist/version": BLOCKLIST_READ,
    "GET /api/v1/blocklist/versions/compare": BLOCKLIST_READ,
    "GET /api/v1/definitions": EVERYONE,
    "GET /api/v1/docs": EVERYONE,
    "GET /api/v1/docs/openapi.json": EVERYONE,
    "GET /api/v1/followup/actions": OFFICE_READ,
    "PATCH /api/v1/followup/actions/{action_id}": PLAN_WRITE_SCOPE,
    "GET /api/v1/followup/alignment": OFFICE_READ,
    "POST /api/v1/followup/alignment/capabilities/{number}/assessments": PLAN_WRITE_SCOPE,
    "POST /api/v1/followup/alignment/capabilities/{number}/confirm": COORD,
    "POST /api/v1/followup/alignment/confirm": COORD,
    "DELETE /api/v1/followup/alignment/capabilities/{number}/measures/{measure}": COORD,
    "PUT /api/v1/followup/alignment/capabilities/{number}/measures/{measure}": COORD,
    "GET /api/v1/followup/bodies": OFFICE_READ,
    "PATCH /api/v1/followup/bodies/{key}": PLAN_WRITE_SCOPE,
    "GET /api/v1/followup/entries/{entry_id}": OFFICE_READ,
    "PUT /api/v1/followup/entries/{entry_id}": PLAN_WRITE_SCOPE,
    "POST /api/v1/followup/entries/{entry_id}/accept": COORD,
    "GET /api/v1/followup/entries/{entry_id}/diff": OFFICE_READ,
    "POST /api/v1/followup/entries/{entry_id}/return": PLAN_WRITE_SCOPE,
    "POST /api/v1/followup/entries/{entry_id}/submit": COORD_OR_AGENCY,
    "GET /api/v1/followup/indicators": EVERYONE,
    "GET /api/v1/followup/indicators/{code}": EVERYONE,
    "PUT /api/v1/followup/indicators/{code}": PLAN_WRITE_SCOPE,
    "GET /api/v1/followup/indicators/{code}/computed": EVERYONE,
    "POST /api/v1/followup/indicators/{code}/values": PLAN_WRITE_SCOPE,
    "POST /api/v1/followup/indicators/{code}/values/{value_id}/approve": PLAN_WRITE_SCOPE,
    "POST /api/v1/followup/indicators/{code}/values/{value_id}/withdraw": PLAN_WRITE_SCOPE,
    "GET /api/v1/followup/materials": EVERYONE,
    "POST /api/v1/followup/materials": PLAN_WRITE_SCOPE,
    "GET /api/v1/followup/materials/{material_id}": EVERYONE,
    "PATCH /api/v1/followup/materials/{material_id}": PLAN_WRITE_SCOPE,
    "POST /api/v1/followup/materials/{material_id}/publish": COORD_OR_AGENCY,
    "POST /api/v1/followup/materials/{material_id}/retire": COORD_OR_AGENCY,
    "POST /api/v1/followup/materials/{material_id}/unpublish": COORD_OR_AGENCY,
    "GET /api/v1/followup/meetings": OFFICE_READ,
    "POST /api/v1/followup/meetings": PLAN_WRITE_SCOPE,
    "GET /api/v1/followup/meetings/{meeting_id}": OFFICE_READ,
    "PATCH /api/v1/followup/meetings/{meeting_id}": PLAN_WRITE_SCOPE,
    "PATCH /api/v1/followup/meetings/{meeting_id}/decisions/{decision_id}": PLAN_WRITE_SCOPE,
    "POST /api/v1/followup/meetings/{meeting_id}/actions": PLAN_WRITE_SCOPE,
    "POST /api/v1/followup/meetings/{meeting_id}/decisions": PLAN_WRITE_SCOPE,
    "POST /api/v1/followup/meetings/{meeting_id}/decisions/{decision_id}/withdraw": PLAN_WRITE_SCOPE,
    "POST /api/v1/followup/meetings/{meeting_id}/actions/{action_id}/withdraw": PLAN_WRITE_SCOPE,
    "GET /api/v1/followup/prefectures": EVERYONE,
    "GET /api/v1/followup/prefectures/{measure}": EVERYONE,
    "POST /api/v1/followup/prefectures/{measure}/publish": COORD,
    "POST /api/v1/followup/prefectures/{measure}/withdraw": COORD,
    "PUT /api/v1/followup/prefectures/{measure}/{prefecture}": PLAN_WRITE_SCOPE,
    "GET /api/v1/followup/rounds": OFFICE_READ,
    "GET /api/v1/followup/statuses": OFFICE_READ,
    "PUT /api/v1/followup/statuses/{key}": PLAN_WRITE_SCOPE,
    "POST /api/v1/followup/rounds": PLAN_WRITE_SCOPE,
    "GET /api/v1/followup/rounds/{round_id}": OFFICE_READ,
    "GET /api/v1/followup/rounds/{round_id}/entries": OFFICE_READ,
    "GET /api/v1/followup/rounds/{round_id}/export.{fmt}": OFFICE_READ,
    "POST /api/v1/followup/rounds/{round_id}/import": PLAN_WRITE_SCOPE,
    "POST /api/v1/followup/rounds/{round_id}/publish": COORD,
    "POST /api/v1/followup/rounds/{round_id}/extend": PLAN_WRITE_SCOPE,
    "GET /api/v1/followup/rounds/{round_id}/overdue": OFFICE_READ,
    "GET /api/v1/followup/rounds/{round_id}/publication": OFFICE_READ,
    "GET /api/v1/followup/rounds/{round_id}/errata": OFFICE_READ,
    "POST /api/v1/followup/rounds/{round_id}/errata": COORD,
    "GET /api/v1/followup/services": EVERYONE,
    "POST /api/v1/followup/services": PLAN_WRITE_SCOPE,
    "PATCH /api/v1/followup/services/{key}": PLAN_WRITE_SCOPE,
    "GET /api/v1/health": EVERYONE,
    "POST /api/v1/hotline/assessments/{assessment_id}/review": roles('senior_analyst'),
    "GET /api/v1/hotline/cases/{case_id}": HOTLINE,
    "POST /api/v1/hotline/cases/{case_id}/assessments": HOTLINE,
    "POST /api/v1/hotline/cases/{case_id}/assign": HOTLINE,
    "POST /api/v1/hotline/cases/{case_id}/blocklist-proposal": HOTLINE,
    "POST /api/v1/hotline/cases/{case_id}/deletion-requests": HOTLINE,
    "POST /api/v1/hotline/cases/{case_id}/forward": HOTLINE,
    "POST /api/v1/hotline/cases/{case_id}/hash-bank": HOTLINE,
    "POST /api/v1/hotline/cases/{case_id}/hashes": HOTLINE,
    "POST /api/v1/hotline/cases/{case_id}/hold": HOTLINE,
    "POST /api/v1/hotline/cases/{case_id}/referral": HOTLINE,
    "POST /api/v1/hotline/cases/{case_id}/removal-checks": HOTLINE,
    "POST /api/v1/hotline/cases/{case_id}/removal-confirmation": HOTLINE,
    "GET /api/v1/hotline/cases/{case_id}/referral.json": HOTLINE,
    "GET /api/v1/hotline/cases/{case_id}/referral.pdf": HOTLINE,
    "POST /api/v1/hotline/cases/{case_id}/trace": HOTLINE,
    "GET /api/v1/hotline/figures": roles('administrator', 'coordinator', 'auditor', 'analyst', 'senior_analyst'),
    "GET /api/v1/hotline/labels": HOTLINE,
    "PUT /api/v1/hotline/labels/{kind}/{code}": roles('senior_analyst'),
    "GET /api/v1/hotline/providers": HOTLINE,
    "POST /api/v1/hotline/providers": HOTLINE,
    "GET /api/v1/hotline/qa/sample": roles('senior_analyst'),
    "GET /api/v1/hotline/queue": HOTLINE,
    "POST /api/v1/hotline/reports": HOTLINE,
    "POST /api/v1/hotline/reports/batch": HOTLINE,
    "POST /api/v1/hotline/reports/csv": HOTLINE,
    "POST /api/v1/match": roles('platform'),
    "GET /api/v1/match/banks": roles('platform'),
    "PUT /api/v1/match/banks": roles('platform'),
    "POST /api/v1/match/reports": roles('platform'),
    "GET /api/v1/match/status": roles('platform'),
    "GET /api/v1/me": SIGNED_IN,
    "GET /api/v1/me/tokens": SIGNED_IN,
    "POST /api/v1/me/tokens": SIGNED_IN,
    "DELETE /api/v1/me/tokens/{token_id}": SIGNED_IN,  # the service then finds only the user's own
    "POST /api/v1/me/tokens/{token_id}/revoke": SIGNED_IN,
    "GET /api/v1/measures": EVERYONE,
    "GET /api/v1/measures/{uid}": EVERYONE,
    "GET /api/v1/measures/{uid}/history": EVERYONE,
    "PATCH /api/v1/measures/{uid}": PLAN_WRITE_SCOPE,
    "PUT /api/v1/measures/{uid}/agencies/{code}/succession": PLAN_WRITE_SCOPE,
    "GET /api/v1/openapi.json": EVERYONE,
    "GET /api/v1/plans": EVERYONE,
    "GET /api/v1/plans/{key}": EVERYONE,
    "PATCH /api/v1/plans/{key}": PLAN_WRITE_SCOPE,
    "POST /api/v1/plans/{key}/import": PLAN_WRITE_SCOPE,
    "GET /api/v1/plans/{key}/pillars/{number}": EVERYONE,
    "PATCH /api/v1/plans/{key}/pillars/{number}": PLAN_WRITE_SCOPE,
    "GET /api/v1/prefectures": EVERYONE,
    "GET /api/v1/timeline": EVERYONE,
    "PATCH /api/v1/timeline/{event}": PLAN_WRITE_SCOPE,
    "POST /api/v1/tokens": SIGNED_IN,
    "GET /api/v1/users": roles('administrator'),
    "POST /api/v1/users": roles('administrator'),
    "PATCH /api/v1/users/{username}": roles('administrator'),
    "GET /api/v1/users/{username}/tokens": roles('administrator'),
    "DELETE /api/v1/users/{username}/tokens/{token_id}": roles('administrator'),
    "GET /audit": AUDIT,
    "GET /blocked": EVERYONE,
    "GET /blocklist": BLOCKLIST_READ,
    "GET /blocklist/appeals": BLOCKLIST_READ,
    "POST /blocklist/appeals": BLOCKLIST_EDIT,
    "POST /blocklist/appeals/{appeal_id}/decide": BLOCKLIST_SENIOR,
    "GET /blocklist/entries/{entry_id}": BLOCKLIST_READ,
    "POST /blocklist/entries/{entry_id}/confirm": BLOCKLIST_EDIT,
    "POST /blocklist/entries/{entry_id}/remove": BLOCKLIST_EDIT,
    "POST /blocklist/entries/{entry_id}/reverify": BLOCKLIST_EDIT,
    "GET /blocklist/propose": BLOCKLIST_EDIT,
    "GET /blocklist/publish": BLOCKLIST_SENIOR,  # as POST /api/v1/blocklist/publications
    "POST /blocklist/publish": BLOCKLIST_SENIOR,
    "GET /blocklist/publications/{version}": BLOCKLIST_READ,
    "POST /blocklist/propose": BLOCKLIST_EDIT,
    "GET /blocklist/review": BLOCKLIST_READ,
    "GET /definitions": EVERYONE,
    "GET /docs/oauth2-redirect": EVERYONE,
    "GET /followup": OFFICE_READ,
    "GET /followup/actions": OFFICE_READ,
    "POST /followup/actions/{action_id}": COORD_OR_AGENCY,
    "GET /followup/alignment": OFFICE_READ,
    "POST /followup/alignment": COORD,
    "GET /followup/alignment/maturity": OFFICE_READ,
    "POST /followup/bodies/{key}": COORD,
    "GET /followup/entries/{entry_id}": OFFICE_READ,
    "POST /followup/entries/{entry_id}": COORD_OR_AGENCY,
    "GET /followup/entries/{entry_id}/diff": OFFICE_READ,
    "POST /followup/entries/{entry_id}/review": COORD,
    "GET /followup/help-services": OFFICE_READ,
    "POST /followup/help-services": COORD_OR_AGENCY,
    "POST /followup/help-services/{key}": COORD,
    "GET /followup/indicators": OFFICE_READ,
    "GET /followup/indicators/{code}": OFFICE_READ,
    "POST /followup/indicators/{code}/values": COORD,
    "POST /followup/indicators/{code}/values/{value_id}/{step}": COORD,
    "GET /followup/materials": OFFICE_READ,
    "POST /followup/materials": COORD_OR_AGENCY,
    "POST /followup/materials/{material_id}": COORD_OR_AGENCY,
    "POST /followup/materials/{material_id}/state": COORD_OR_AGENCY,
    "GET /followup/meetings": OFFICE_READ,
    "POST /followup/meetings": COORD,
    "GET /followup/meetings/{meeting_id}": OFFICE_READ,
    "POST /followup/meetings/{meeting_id}/actions": COORD,
    "POST /followup/meetings/{meeting_id}/decisions": COORD,
    "POST /followup/meetings/{meeting_id}/decisions/{decision_id}": COORD,
    "POST /followup/meetings/{meeting_id}/edit": COORD,
    "POST /followup/meetings/{meeting_id}/decisions/{decision_id}/withdraw": COORD,
    "POST /followup/meetings/{meeting_id}/actions/{action_id}/withdraw": COORD,
    "GET /followup/prefectures": OFFICE_READ,
    "POST /followup/prefectures": COORD,
    "POST /followup/prefectures/publication": COORD,
    "POST /followup/rounds": COORD,
    "GET /followup/rounds/{round_id}": OFFICE_READ,
    "GET /followup/rounds/{round_id}/entries": OFFICE_READ,
    "GET /followup/rounds/{round_id}/export.{fmt}": OFFICE_READ,
    "POST /followup/rounds/{round_id}/import": COORD_OR_AGENCY,
    "POST /followup/rounds/{round_id}/publish": COORD,
    "POST /followup/rounds/{round_id}/extend": COORD,
    "GET /followup/rounds/{round_id}/publish": COORD,
    "GET /followup/rounds/{round_id}/errata": OFFICE_READ,
    "POST /followup/rounds/{round_id}/errata": COORD,
    "GET /followup/rounds/{round_id}/report": OFFICE_READ,
    "GET /followup/statuses": OFFICE_READ,
    "POST /followup/statuses": COORD,
    "GET /hotline": HOTLINE,
    "POST /hotline/assessments/{assessment_id}/review": roles('senior_analyst'),
    "GET /hotline/cases/{case_id}": HOTLINE,
    "POST /hotline/cases/{case_id}/assess": HOTLINE,
    "POST /hotline/cases/{case_id}/assign": HOTLINE,
    "POST /hotline/cases/{case_id}/blocklist": HOTLINE,
    "POST /hotline/cases/{case_id}/confirm-removal": HOTLINE,
    "POST /hotline/cases/{case_id}/removal-check": HOTLINE,
    "POST /hotline/cases/{case_id}/forward": HOTLINE,
    "POST /hotline/cases/{case_id}/guidance": HOTLINE,
    "POST /hotline/cases/{case_id}/hash": HOTLINE,
    "POST /hotline/cases/{case_id}/hash-bank": HOTLINE,
    "POST /hotline/cases/{case_id}/hold": HOTLINE,
    "POST /hotline/cases/{case_id}/notice": HOTLINE,
    "POST /hotline/cases/{case_id}/provider": HOTLINE,
    "POST /hotline/cases/{case_id}/refer": HOTLINE,
    "POST /hotline/cases/{case_id}/trace": HOTLINE,
    "GET /hotline/figures": roles('administrator', 'coordinator', 'auditor', 'analyst', 'senior_analyst'),
    "GET /hotline/labels": HOTLINE,
    "POST /hotline/labels": roles('senior_analyst'),
    "GET /hotline/providers": HOTLINE,
    "POST /hotline/providers": HOTLINE,
    "GET /login": EVERYONE,
    "POST /login": EVERYONE,
    "POST /logout": SIGNED_IN,
    "GET /matching": BLOCKLIST_READ,
    "POST /matching/banks": roles('administrator', 'senior_analyst'),
    "POST /matching/entries": roles('administrator', 'senior_analyst'),
    "GET /matching/export": roles('administrator', 'auditor', 'analyst', 'senior_analyst'),
    "POST /matching/import": roles('administrator', 'senior_analyst'),
    "POST /matching/platforms": roles('administrator'),
    "GET /measures/{uid}": EVERYONE,
    "POST /measures/{uid}/amend": COORD,
    "GET /plans/{key}": EVERYONE,
    "GET /plans/{key}/import": COORD,
    "POST /plans/{key}/import": COORD,
    "POST /plans/{key}/import/confirm": COORD,
    "GET /plans/{key}/pillars/{number}": EVERYONE,
    "POST /plans/{key}/pillars/{number}/edit": COORD,
    "GET /portal": EVERYONE,
    "GET /portal/awareness": EVERYONE,
    "GET /portal/help": EVERYONE,
    "GET /portal/indicators": EVERYONE,
    "GET /portal/indicators/{code}": EVERYONE,
    "GET /portal/indicators/{code}/data.csv": EVERYONE,
    "GET /portal/indicators/{code}/data.json": EVERYONE,
    "GET /portal/rounds/{round_id}": EVERYONE,
    "GET /portal/rounds/{round_id}/report-{lang}.pdf": EVERYONE,
    "GET /portal/data": EVERYONE,
    "GET /portal/data/{key}.{fmt}": EVERYONE,
    "GET /portal/measures/{uid}": EVERYONE,
    "GET /report": EVERYONE,
    "POST /report": EVERYONE,
    "GET /report/status": EVERYONE,  # the reporters' status lookup: anyone holding a receipt
    "POST /report/status": EVERYONE,
    "POST /api/v1/report/status": EVERYONE,
    "GET /timeline": EVERYONE,
    "POST /timeline/{event}/edit": COORD,
}

SKIP_PROBE = {("POST", "/logout")}  # probed last, it ends the session

# API routes only an API token reaches (a browser session of any role, an administrator's too, is
# refused): the trusted flaggers' intake and everything of the matching service (platforms' tokens).
TOKEN_ONLY = {
    "POST /api/v1/hotline/reports", "POST /api/v1/hotline/reports/batch", "POST /api/v1/hotline/reports/csv",
    "POST /api/v1/match", "POST /api/v1/match/reports", "GET /api/v1/match/banks", "PUT /api/v1/match/banks",
    "GET /api/v1/match/status",
}

# API routes a signed-in caller reaches with any token, needing no scope: who am I, and my own
# tokens (a token gives a new token only scopes it holds itself: tests/functional/test_tokens_web.py).
SELF = {"GET /api/v1/me", "POST /api/v1/tokens", "GET /api/v1/me/tokens", "POST /api/v1/me/tokens",
        "DELETE /api/v1/me/tokens/{token_id}", "POST /api/v1/me/tokens/{token_id}/revoke"}

PLAN_PREFIXES = ("/api/v1/followup", "/api/v1/plans", "/api/v1/measures", "/api/v1/agencies", "/api/v1/timeline")


def rule_for(method: str, path: str) -> frozenset[str] | None:
    return RULES.get(f"{method} {path}")


def scope_needed(method: str, path: str) -> str | None:
    """The token scope an API route needs: the scope of its domain, for reading or for writing
    (auth.roles.SCOPES; docs/roles.md). None: a public route, or one of SELF."""
    key = f"{method} {path}"
    rule = rule_for(method, path)
    if key in SELF or (rule is not None and ANON in rule):
        return None
    reading = method == "GET"
    if path.startswith("/api/v1/hotline/reports"):
        return "flagger"
    if path == "/api/v1/hotline/figures":
        return "hotline:figures"
    if path.startswith("/api/v1/hotline/"):
        return "hotline:read" if reading else "hotline:write"
    if path.startswith("/api/v1/match"):
        return "match"
    if path.startswith("/api/v1/banks"):
        return "banks"
    if path.startswith(("/api/v1/blocklist/snapshots", "/api/v1/blocklist/deltas")):
        return "feed"
    if path.startswith("/api/v1/blocklist/"):
        return "blocklist"
    if path == "/api/v1/audit":
        return "audit:read"
    if path.startswith("/api/v1/users"):
        return "users:read" if reading else "users:write"
    if path.startswith(PLAN_PREFIXES):
        return "plan:read" if reading else "plan:write"
    raise AssertionError(f"no scope declared for {key}: add its domain to scope_needed")


WAYS = ("session", "token", "narrow")
UNRELATED = "plan:read"


def expected(way: str, method: str, path: str, role: str) -> bool:
    """Whether `role`'s request made in `way` should get past the door."""
    rule = rule_for(method, path)
    assert rule is not None
    key = f"{method} {path}"
    if role == ANON:
        return ANON in rule
    if not is_api(path):
        return role in rule if way == "session" else ANON in rule  # a page ignores a token
    if way == "session":
        return role in rule and key not in TOKEN_ONLY
    if way == "token":
        return role in rule
    need = scope_needed(method, path)
    return role in rule and (need is None or (need == UNRELATED and R.may_hold(role, UNRELATED)))


@pytest.fixture
def world(session: Any, loaded: Any, make_user: Any, api_token: Any, app: Any) -> Iterator[dict[str, Any]]:
    """Real objects to fill path parameters, one user per role, their tokens."""
    from mamoru.plan.models import Agency, Measure, Plan

    users = {role: make_user(role, agency="NPA" if role == R.AGENCY_OFFICER else None) for role in R.ALL_ROLES}
    tokens = {role: api_token(u, sorted(R.ROLE_SCOPES.get(role, ()))) for role, u in users.items()}
    narrow = {role: narrow_token(session, api_token, u) for role, u in users.items()}
    plan = session.query(Plan).first()
    measure = session.query(Measure).order_by(Measure.id).first()
    agency = session.query(Agency).filter_by(code="NPA").one()
    params = {"key": plan.key, "number": "1", "uid": measure.uid, "code": agency.code, "measure": measure.uid,
              "prefecture": "13", "fmt": "csv", "from_version": "0", "to_version": "1", "round_id": "1",
              "entry_id": "1", "appeal_id": "1", "case_id": "1", "assessment_id": "1", "meeting_id": "1",
              "action_id": "1"}
    params.update(_domain_ids(session, users))
    # An id no token has: probing the revoke routes must not revoke the tokens the probes use.
    from sqlalchemy import func, select

    from mamoru.auth.models import ApiToken

    params["token_id"] = str((session.scalar(select(func.max(ApiToken.id))) or 0) + 1000)
    yield {"users": users, "tokens": tokens, "narrow": narrow, "params": params, "app": app}


def narrow_token(session: Any, api_token: Any, user: Any) -> str:
    """A token holding only UNRELATED; for a role that may not hold it, a token made with another
    scope and left with UNRELATED (as if its owner's role had changed since)."""
    from sqlalchemy import select

    from mamoru.auth.models import ApiToken
    from mamoru.auth.service import _sha256

    if R.may_hold(user.role, UNRELATED):
        return api_token(user, [UNRELATED])  # type: ignore[no-any-return]
    secret: str = api_token(user, sorted(R.ROLE_SCOPES[user.role])[:1])
    session.scalars(select(ApiToken).where(ApiToken.secret_hash == _sha256(secret))).one().scopes = [UNRELATED]
    session.commit()
    return secret


def _domain_ids(session: Any, users: dict[str, Any]) -> dict[str, str]:
    """Ids of a reporting round, a hotline case and a blocklist entry (best effort per domain)."""
    out: dict[str, str] = {}
    from mamoru.followup import rounds

    r = rounds.open_round(session, users[R.COORDINATOR], [2024], date(2030, 1, 1))
    out["round_id"] = str(r.id)
    from mamoru.followup.models import RoundEntry
    from mamoru.plan.models import Agency

    npa = session.query(Agency).filter_by(code="NPA").one()
    # an entry the agency officer (NPA) answers: their allowed routes must be reached with it
    entry = (session.query(RoundEntry).filter_by(round_id=r.id, agency_id=npa.id)
             .order_by(RoundEntry.id).first())
    out["entry_id"] = str(entry.id)
    from tests.factories import hotline

    report = hotline.report(session, "http://example.test/a")
    out["case_id"] = str(report.case_id)
    session.commit()
    return out


# Query strings and JSON bodies that let a request reach checks made after validation.
QUERIES = {"/api/v1/followup/entries/{entry_id}/diff": "?a=1&b=1", "/api/v1/blocklist/deltas": "?since=0",
           "/api/v1/blocklist/versions/compare": "?from=0&to=0", "/api/v1/hotline/reports/csv": "?partner=x"}
BODIES: dict[str, Any] = {
    "/api/v1/hotline/reports": {"url": "http://example.test/matrix"},
    "/api/v1/hotline/reports/batch": {"reports": [{"url": "http://example.test/matrix"}]},
}


def fill(path: str, params: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: params.get(m.group(1), "1"), path) + QUERIES.get(path, "")


def is_api(path: str) -> bool:
    return path.startswith("/api/")


def probe(client: TestClient, method: str, path: str, url: str, token: str | None, csrf: str | None) -> int:
    api = is_api(path)
    headers = {"accept": "application/json" if api else "text/html"}
    if token:
        headers["authorization"] = f"Bearer {token}"  # on every route: pages must ignore it
    if csrf and method not in {"GET", "HEAD"}:
        headers["x-csrf-token"] = csrf
    r = client.request(method, url, headers=headers, json=BODIES.get(path), follow_redirects=False)
    if r.status_code in (302, 303, 307) and r.headers.get("location", "").startswith("/login"):
        return 401
    return r.status_code


def anonymous_csrf(client: TestClient) -> str:
    page = client.get("/login")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]


def observe(world: dict[str, Any], way: str) -> dict[tuple[str, str], dict[str, int]]:
    routes = [(m, p) for m, p, _ in flat_routes(world["app"])]
    seen: dict[tuple[str, str], dict[str, int]] = {rt: {} for rt in routes}
    for role in ROLES:
        with TestClient(world["app"], raise_server_exceptions=False) as client:
            token = None
            if role == ANON or way != "session":
                csrf = anonymous_csrf(client)  # no session: the anonymous forms' CSRF token
                if role != ANON:
                    token = world["tokens" if way == "token" else "narrow"][role]
            else:
                csrf = login(client, world["users"][role].username)
            for method, path in sorted(routes, key=lambda rt: rt in SKIP_PROBE):
                url = fill(path, world["params"])
                seen[(method, path)][role] = probe(client, method, path, url, token, csrf)
    return seen


def test_every_route_has_a_rule(app: Any) -> None:
    missing = sorted({f"{m} {p}" for m, p, _ in flat_routes(app) if rule_for(m, p) is None})
    assert missing == [], "routes without an authorization rule (add one to RULES):\n" + "\n".join(missing)
    api = [(m, p) for m, p, _ in flat_routes(app) if is_api(p) and rule_for(m, p) is not None]
    assert {f"{m} {p}": scope_needed(m, p) for m, p in api}  # every API route has the scope of a domain
    assert TOKEN_ONLY | SELF <= {f"{m} {p}" for m, p in api}


@pytest.mark.parametrize("way", WAYS)
def test_authorization_matrix(world: dict[str, Any], way: str) -> None:
    seen = observe(world, way)
    if os.environ.get("MAMORU_MATRIX_PRINT"):
        for (m, p), by_role in sorted(seen.items(), key=lambda kv: kv[0][1]):
            allowed = [r for r in ROLES if by_role[r] not in (401, 403)]
            print(f"RULE\t{way}\t{m}\t{p}\t{' '.join(allowed)}")
    wrong = []
    for (method, path), by_role in seen.items():
        if rule_for(method, path) is None:
            continue
        for role, status in by_role.items():
            denied = status in (401, 403)
            allow = expected(way, method, path, role)
            if denied == allow:
                wrong.append(f"{way}: {method} {path} as {role}: {status}, expected {'allow' if allow else 'deny'}")
    assert wrong == [], "\n".join(sorted(wrong))
    crashes = sorted({f"{m} {p}" for (m, p), by_role in seen.items() for st in by_role.values() if st >= 500})
    assert [c for c in crashes if c not in KNOWN_5XX] == [], crashes


# Known server errors found by this matrix, reported to their owners; remove a line when fixed.
KNOWN_5XX: set[str] = set()


def test_each_api_route_needs_the_scope_of_its_domain(world: dict[str, Any], session: Any, api_token: Any) -> None:
    """For every API route needing a scope and every role admitted to it: a token holding all of the
    role's scopes but that one is denied (so a route names its own domain's scope, for reading or
    writing, and not merely some scope the role happens to hold)."""
    without: dict[tuple[str, str], str] = {}
    wrong = []
    with TestClient(world["app"], raise_server_exceptions=False) as client:
        for method, path, _ in sorted(flat_routes(world["app"]), key=lambda rt: rt[:2]):
            need = scope_needed(method, path) if is_api(path) else None
            if need is None:
                continue
            for role in sorted(rule_for(method, path) or ()):
                rest = sorted(R.ROLE_SCOPES[role] - {need})
                if not rest:  # the role holds this scope alone: a token without it holds nothing
                    continue
                if (role, need) not in without:
                    without[(role, need)] = api_token(world["users"][role], rest, name=f"without {need}")
                status = probe(client, method, path, fill(path, world["params"]), without[(role, need)], None)
                if status not in (401, 403):
                    wrong.append(f"{method} {path} as {role} without {need}: {status}, expected deny")
    assert without, "no route was probed"
    assert wrong == [], "\n".join(wrong)
