"""An illegal case's URL goes to the blocking list as a proposal, its hashes to the hotline's bank."""

from __future__ import annotations

from sqlalchemy import select
from tests.factories.hotline import STAFF_SCOPES


def test_url_proposed_and_hashes_banked(hl_client, session, make_user, api_token, definitions) -> None:  # type: ignore[no-untyped-def]
    from mamoru.blocklist.models import BlocklistEntry
    from mamoru.matching.models import HashBankEntry

    analyst = make_user("analyst")
    h = {"Authorization": f"Bearer {api_token(analyst, STAFF_SCOPES)}"}
    url = "http://outcome.example.test/board/55"
    case_id = int(hl_client.post("/api/v1/hotline/reports", headers=h, json={"url": url}).json()["case"][1:])
    assert hl_client.post(f"/api/v1/hotline/cases/{case_id}/blocklist-proposal", headers=h).status_code == 409
    sha = "ab" * 32
    hl_client.post(f"/api/v1/hotline/cases/{case_id}/hashes", headers=h, json={"algorithm": "sha256", "value": sha})
    hl_client.post(f"/api/v1/hotline/cases/{case_id}/assessments", headers=h,
                   json={"verdict": "csam", "legal_basis": "child-pornography", "hosting_country": "JP"})
    r = hl_client.post(f"/api/v1/hotline/cases/{case_id}/blocklist-proposal", headers=h)
    assert r.status_code == 201, r.text
    entry = session.get(BlocklistEntry, r.json()["blocklist_entry"])
    assert entry.status == "proposed" and entry.case_ref == f"C{case_id:07d}"
    assert hl_client.post(f"/api/v1/hotline/cases/{case_id}/hash-bank", headers=h).json() == {"added": 1}
    assert hl_client.post(f"/api/v1/hotline/cases/{case_id}/hash-bank", headers=h).json() == {"added": 0}
    banked = session.scalars(select(HashBankEntry).where(HashBankEntry.hash == sha)).all()
    assert [(b.signal, b.case_ref) for b in banked] == [("sha256", f"C{case_id:07d}")]


def _illegal_case(hl_client, h, url: str) -> int:  # type: ignore[no-untyped-def]
    case_id = int(hl_client.post("/api/v1/hotline/reports", headers=h, json={"url": url}).json()["case"][1:])
    r = hl_client.post(f"/api/v1/hotline/cases/{case_id}/assessments", headers=h,
                       json={"verdict": "csam", "legal_basis": "child-pornography", "hosting_country": "JP"})
    assert r.status_code < 300, r.text
    return case_id


def test_proposal_gets_the_default_review_date(hl_client, session, make_user, api_token, definitions) -> None:  # type: ignore[no-untyped-def]
    from datetime import date, timedelta

    from mamoru.blocklist.models import BlocklistEntry
    from mamoru.blocklist.service import DEFAULT_REVIEW_DAYS

    h = {"Authorization": f"Bearer {api_token(make_user('analyst'), STAFF_SCOPES)}"}
    case_id = _illegal_case(hl_client, h, "http://review-period.example.test/board/7")
    r = hl_client.post(f"/api/v1/hotline/cases/{case_id}/blocklist-proposal", headers=h)
    assert r.status_code == 201, r.text
    entry = session.get(BlocklistEntry, r.json()["blocklist_entry"])
    assert entry.review_on == date.today() + timedelta(days=DEFAULT_REVIEW_DAYS)


def test_a_case_verified_removed_is_not_proposed(hl_client, session, make_user, api_token, definitions) -> None:  # type: ignore[no-untyped-def]
    from mamoru.blocklist.models import BlocklistEntry
    from mamoru.hotline.models import HotlineCase

    h = {"Authorization": f"Bearer {api_token(make_user('analyst'), STAFF_SCOPES)}"}
    case_id = _illegal_case(hl_client, h, "http://gone-already.example.test/board/8")
    session.get(HotlineCase, case_id).status = "removed"  # a removal check found it gone
    session.flush()
    r = hl_client.post(f"/api/v1/hotline/cases/{case_id}/blocklist-proposal", headers=h)
    assert r.status_code == 409, r.text
    assert "verified the content as removed" in r.text
    assert session.scalars(select(BlocklistEntry).where(BlocklistEntry.case_ref == f"C{case_id:07d}")).all() == []
