"""The shipped indicators are linked to the measures they measure, and the WePROTECT alignment ships with
a proposed mapping of the plan's 24 measures, marked as proposed until the plan office confirms it."""

from __future__ import annotations

import importlib

from sqlalchemy import select
from tests.conftest import login

from mamoru.auth import roles
from mamoru.composition import live_providers
from mamoru.followup import alignment, prefectures
from mamoru.followup import indicators as isvc
from mamoru.followup.reference import load_reference, read
from mamoru.plan.models import Measure

MIGRATION = importlib.import_module(
    "mamoru.migrations.versions.fu0006_followup_indicator_review_periodicity_proposed_alignment")


def test_shipped_indicators_name_measures_of_the_plan_in_their_pillars(loaded) -> None:  # type: ignore[no-untyped-def]
    load_reference(loaded)
    measures = {m.uid: m for m in loaded.scalars(select(Measure))}
    for ind in isvc.indicators(loaded):
        for uid in ind.measures:
            assert uid in measures, (ind.code, uid)
            assert measures[uid].pillar.number in ind.pillars, (ind.code, uid)
    linked = {i.code for i in isvc.indicators(loaded) if i.measures}
    assert {i.code for i in isvc.indicators(loaded)} - linked == {"measures-implemented-share"}  # all measures
    ordinance = isvc.get_indicator(loaded, "prefectures-jk-ordinance")
    assert ordinance.measures == ["bp17-5-01"] and ordinance.pillars == [5]
    # its computed value is there once the office records and publishes the prefectures' status
    m = measures["bp17-5-01"]
    for code in ("13", "27"):
        prefectures.set_status(loaded, None, m, code, "done")
    prefectures.publish(loaded, None, m, True)
    assert [p.value for p in isvc.series(loaded, ordinance, live_providers("portal"))] == [2.0]


def test_the_migration_fixes_existing_databases_as_the_data_now_ships() -> None:
    shipped = {row["code"]: (row.get("measures", []), row.get("pillars", [])) for row in
               read("indicators.yaml")["indicators"]}
    assert {code: shipped[code] for code in MIGRATION.LINKS} == {c: (m, p) for c, (m, p) in MIGRATION.LINKS.items()}


def test_mapping_ships_proposed_and_the_office_confirms_it(loaded, client, make_user, api_token) -> None:  # type: ignore[no-untyped-def]
    load_reference(loaded)
    loaded.commit()
    cov = alignment.coverage(loaded)
    mapped = {m.uid for c in cov for m in c.measures}
    assert len(mapped) == 24 and all(c.proposed == {m.id for m in c.measures} for c in cov)
    assert [c.capability.number for c in cov if not c.measures] == [21]
    office, officer = make_user(roles.COORDINATOR), make_user(roles.AGENCY_OFFICER, agency="NPA")
    as_office = {"Authorization": f"Bearer {api_token(office, ['plan:read', 'plan:write'])}"}
    as_officer = {"Authorization": f"Bearer {api_token(officer, ['plan:read', 'plan:write'])}"}
    doc = client.get("/api/v1/followup/alignment", headers=as_office).json()
    three = next(c for c in doc["capabilities"] if c["number"] == 3)
    assert three["proposed"] == three["measures"] == ["bp17-5-01"] and doc["proposed_links"] > 24
    assert client.post("/api/v1/followup/alignment/capabilities/3/confirm", headers=as_officer).status_code == 403
    r = client.post("/api/v1/followup/alignment/capabilities/3/confirm", headers=as_office)
    assert r.status_code == 200 and r.json()["confirmed"] == 1
    assert next(c for c in r.json()["capabilities"] if c["number"] == 3)["proposed"] == []
    assert r.json()["proposed_links"] == doc["proposed_links"] - 1
    # a link the office removes is not proposed again by a second load
    assert client.delete("/api/v1/followup/alignment/capabilities/1/measures/bp17-1-01", headers=as_office).status_code == 200
    load_reference(loaded)
    assert "bp17-1-01" not in [m.uid for m in next(c for c in alignment.coverage(loaded) if c.capability.number == 1).measures]
    token = login(client, office.username)  # type: ignore[attr-defined]
    page = client.get("/followup/alignment?lang=ja").text
    assert "提案" in page and 'id="confirm-all-form"' in page
    assert client.post("/followup/alignment", data={"csrf_token": token, "action": "confirm_all"},
                       follow_redirects=False).status_code == 303
    assert client.get("/api/v1/followup/alignment", headers=as_office).json()["proposed_links"] == 0
    assert 'id="proposed-note"' not in client.get("/followup/alignment").text
