"""The analysts' case page refuses a step that does not apply to the case's status the way it refuses
bad input: the case page again, with the reason and 409, and nothing stored (the API answers 409 too)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from tests.factories import hotline
from tests.factories.hotline import STAFF_SCOPES

from mamoru.hotline import vocabulary
from mamoru.hotline import workflow as wf
from mamoru.hotline.models import Assessment, HotlineCase, PartnerForward, PoliceReferral
from mamoru.i18n import gettext


def _case(session, status: str = wf.QUEUED) -> int:  # type: ignore[no-untyped-def]
    report = hotline.report(session, f"http://steps.example.test/{status}")
    report.case.status = status
    session.commit()
    return report.case_id


def _count(database, model) -> int:  # type: ignore[no-untyped-def]
    with database.session() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.parametrize(("status", "step", "form", "stored"), [
    (wf.QUEUED, "refer", {"police_unit": "Cybercrime Division", "reference": "P-9"}, PoliceReferral),
    (wf.QUEUED, "forward", {"partner": "Partner Hotline", "reference": "F-1"}, PartnerForward),
    (wf.REMOVED, "assess", {"verdict": "csam", "legal_basis": "child-pornography", "hosting_country": "JP"}, Assessment),
])
def test_a_step_the_status_does_not_allow_is_refused_on_the_case_page(hl_client, database, session, make_user, login_as,
                                                                       definitions, status, step, form, stored) -> None:  # type: ignore[no-untyped-def]
    case_id = _case(session, status)
    csrf = login_as(make_user("analyst"))
    before = _count(database, stored)
    r = hl_client.post(f"/hotline/cases/{case_id}/{step}", data={**form, "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 409, r.text[:500]
    problems = re.search(r'id="case-problems">(.*?)</ul>', r.text, re.S)
    # the page names the status in words (issue 12); the API keeps the code (below)
    assert problems and f"状態が「{gettext('ja', vocabulary.STATUS[status])}」の事案では" in problems.group(1)
    assert _count(database, stored) == before
    with database.session() as s:
        assert s.get(HotlineCase, case_id).status == status  # type: ignore[union-attr]


def test_the_api_refuses_referral_of_a_queued_case_with_409(hl_client, database, session, make_user, api_token) -> None:  # type: ignore[no-untyped-def]
    case_id = _case(session)
    h = {"Authorization": f"Bearer {api_token(make_user('analyst'), STAFF_SCOPES)}"}
    r = hl_client.post(f"/api/v1/hotline/cases/{case_id}/referral", headers=h, json={"police_unit": "X"})
    assert r.status_code == 409 and "cannot take the step refer" in r.json()["detail"]
    assert _count(database, PoliceReferral) == 0
