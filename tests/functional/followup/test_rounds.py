"""Reporting rounds on both databases: opening, successions, the entry workflow, versions and diffs,
completion and overdue figures, notifications."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from tests.factories.followup import entry, reporting_round

from mamoru import audit
from mamoru.auth import roles
from mamoru.errors import Conflict, InvalidInput, PermissionDenied
from mamoru.followup import entries as svc
from mamoru.followup.rounds import completion, overdue_entries, publish_round, round_label
from mamoru.followup.workflow import Content


def _content(status: str = "implemented", ja: str = "研修を実施した。", en: str = "Training was held.") -> Content:
    return Content(status=status, narrative_en=en, narrative_ja=ja,
                   figures=[{"label_en": "Sessions", "label_ja": "回数", "value": "12", "unit": "", "period": "FY2023"}],
                   evidence=[{"url": "https://www.npa.go.jp/example", "title": "report"}])


def test_open_round_routes_successions_to_todays_agency(fu) -> None:  # type: ignore[no-untyped-def]
    r = reporting_round(fu, (2022, 2023))
    assert round_label(r, "ja") == "令和4年度・令和5年度" and round_label(r, "en") == "FY2022 and FY2023"
    pairs = sorted((e.measure.code, e.agency.code, e.written_agency.code) for e in r.entries)
    # MHLW's child-related entries go to the CFA; 2-2 lists MHLW and CFA: one CFA entry; 2-3 stays with MHLW
    # because its assignment has no succession.
    assert ("2-1", "CFA", "MHLW") in pairs and ("2-1", "MHLW", "MHLW") not in pairs
    assert [p for p in pairs if p[0] == "2-2"] == [("2-2", "CFA", "MHLW")]
    assert ("2-3", "MHLW", "MHLW") in pairs
    assert len(pairs) == 11
    assert all(e.due_on == date(2024, 7, 31) and e.state == "draft" for e in r.entries)
    with pytest.raises(Conflict):
        reporting_round(fu, (2023,))


def test_agency_officer_edits_only_own_entries(fu, make_user, outbox) -> None:  # type: ignore[no-untyped-def]
    reporting_round(fu)
    npa = make_user(roles.AGENCY_OFFICER, agency="NPA")
    mic = make_user(roles.AGENCY_OFFICER, agency="MIC")
    e = entry(fu, "1-1", "NPA")
    svc.save_entry(fu, e, npa, _content())
    assert e.version == 1 and e.state == "draft"
    with pytest.raises(PermissionDenied):
        svc.save_entry(fu, e, mic, _content())
    with pytest.raises(PermissionDenied):
        svc.accept_entry(fu, e, npa)


def test_submit_locks_until_returned_then_accept(fu, make_user, outbox) -> None:  # type: ignore[no-untyped-def]
    reporting_round(fu)
    npa = make_user(roles.AGENCY_OFFICER, agency="NPA")
    npa.email = "npa@example.go.jp"
    coord = make_user(roles.COORDINATOR)
    coord.email = "office@example.go.jp"
    fu.commit()
    e = entry(fu, "1-1", "NPA")
    with pytest.raises(InvalidInput):
        svc.save_entry(fu, e, npa, Content(None, "", "", [], []), submit=True)
    fu.rollback()
    e = entry(fu, "1-1", "NPA")
    svc.save_entry(fu, e, npa, _content(), outbox, submit=True)
    assert e.state == "submitted" and outbox.sent[-1].to == "office@example.go.jp"
    with pytest.raises(Conflict, match="locked"):
        svc.save_entry(fu, e, npa, _content(ja="変更"))
    svc.return_entry(fu, e, coord, "数値の出典を追記してください", outbox)
    assert e.state == "returned" and outbox.sent[-1].to == "npa@example.go.jp"
    assert "数値の出典を追記してください" in outbox.sent[-1].body
    svc.save_entry(fu, e, npa, _content(ja="研修を12回実施した（警察庁調べ）。"), outbox, submit=True)
    svc.accept_entry(fu, e, coord, outbox)
    assert e.state == "accepted" and "accepted" in outbox.sent[-1].subject
    actions = [v.action for v in e.versions]
    assert actions == ["save", "submit", "return", "save", "submit", "accept"]
    diff = svc.version_diff(e, 2, 5)
    assert {c.field for c in diff} == {"narrative_ja"}
    assert any(line.startswith("+研修を12回") for line in diff[0].lines)
    tags = set(fu.scalars(select(audit.AuditEvent.action)))
    assert {"followup:entry:submit", "followup:entry:return", "followup:entry:accept"} <= tags


def test_coordinator_status_change_notifies_agency(fu, make_user, outbox) -> None:  # type: ignore[no-untyped-def]
    reporting_round(fu)
    mic = make_user(roles.AGENCY_OFFICER, agency="MIC")
    mic.email = "mic@example.go.jp"
    e = entry(fu, "3-2", "MIC")
    svc.save_entry(fu, e, None, _content(status="delayed"), outbox)
    assert outbox.sent and outbox.sent[-1].to == "mic@example.go.jp"
    assert "遅延" in outbox.sent[-1].body


def test_completion_by_agency_and_pillar_and_overdue(fu, make_user) -> None:  # type: ignore[no-untyped-def]
    r = reporting_round(fu, due=date(2024, 5, 1), today=date(2024, 4, 1))
    npa = make_user(roles.AGENCY_OFFICER, agency="NPA")
    svc.save_entry(fu, entry(fu, "1-1", "NPA"), npa, _content(), submit=True)
    svc.accept_entry(fu, entry(fu, "1-1", "NPA"), None)
    svc.save_entry(fu, entry(fu, "3-1", "NPA"), npa, _content(), submit=True)
    c = completion(fu, r, today=date(2024, 6, 1))
    by_agency = {x.key: x for x in c["agency"]}
    assert by_agency["NPA"].total == 2 and by_agency["NPA"].done == 1 and by_agency["NPA"].percent == 100
    assert by_agency["MIC"].overdue == 2 and by_agency["NPA"].overdue == 0
    by_pillar = {x.key: x for x in c["pillar"]}
    assert by_pillar["1"].total == 3 and by_pillar["1"].done == 1
    late = overdue_entries(fu, r, today=date(2024, 6, 1))
    assert late.total == len(late.entries) == 9 and all(e.state in ("draft", "returned") for e in late.entries)


def test_publish_needs_an_accepted_entry(fu) -> None:  # type: ignore[no-untyped-def]
    r = reporting_round(fu)
    with pytest.raises(Conflict):
        publish_round(fu, None, r)
    e = entry(fu, "1-2", "CAO")
    svc.save_entry(fu, e, None, _content(), submit=True)
    svc.accept_entry(fu, e, None)
    publish_round(fu, None, r)
    assert r.state == "published"
    with pytest.raises(Conflict):
        svc.save_entry(fu, entry(fu, "1-1", "NPA"), None, _content())
