"""`mamoru alignment confirm [--capability N] [--as USER]`: the plan office confirms the shipped
proposed mapping of measures to WePROTECT capabilities from the command line, through the service
function the alignment page and API use (mamoru.followup.alignment.confirm), audited the same way."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import create_engine, text


def _audit(cli: Any) -> list[tuple[str, str, dict[str, Any]]]:
    engine = create_engine(cli.env["MAMORU_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT actor, target, detail FROM audit_events "
                                     "WHERE action = 'followup:alignment:confirm' ORDER BY seq")).all()
    finally:
        engine.dispose()
    return [(a, t, json.loads(d)) for a, t, d in rows]


def _proposed(cli: Any) -> dict[int, int]:
    """Capability number -> links still proposed (not confirmed), read from the database."""
    engine = create_engine(cli.env["MAMORU_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT c.number, count(*) FROM fu_measure_capabilities l JOIN fu_capabilities c "
                "ON c.id = l.capability_id WHERE l.confirmed_at IS NULL GROUP BY c.number")).all()
    finally:
        engine.dispose()
    return {int(n): int(k) for n, k in rows}


def test_alignment_confirm_one_capability_then_all_with_its_exit_codes(loaded_cli: Any) -> None:
    cli = loaded_cli
    assert cli("indicator", "load").exit_code == 0  # the WePROTECT framework with its proposed mapping
    for name, role in (("office", "coordinator"), ("analyst1", "analyst")):
        assert cli("user", "add", name, "--role", role).exit_code == 0
    before = _proposed(cli)
    assert before.get(1, 0) >= 1 and 21 not in before and sum(before.values()) > before[1]

    r = cli("alignment", "confirm", "--capability", "99", "--as", "office")
    assert r.exit_code == 2 and "no capability 99" in r.output
    assert cli("alignment", "confirm", "--as", "nobody").exit_code == 2
    r = cli("alignment", "confirm", "--as", "analyst1")
    assert r.exit_code == 1 and "plan office" in r.output  # refused: only a coordinator
    r = cli("alignment", "confirm", "--capability", "21", "--as", "office")  # nothing proposed there
    assert r.exit_code == 1 and "nothing to confirm in capability 21" in r.output
    assert _proposed(cli) == before

    r = cli("alignment", "confirm", "--capability", "1", "--as", "office")
    assert r.exit_code == 0, r.output
    assert f"confirmed {before[1]} proposed links in capability 1" in r.output
    after = _proposed(cli)
    assert 1 not in after and after == {n: k for n, k in before.items() if n != 1}
    assert cli("alignment", "confirm", "--capability", "1", "--as", "office").exit_code == 1  # done already

    r = cli("alignment", "confirm", "--as", "office")
    assert r.exit_code == 0 and f"confirmed {sum(after.values())} proposed links in the whole mapping" in r.output
    assert _proposed(cli) == {}
    assert cli("alignment", "confirm").exit_code == 1  # nothing left
    confirmed = [(a, t, d["links"]) for a, t, d in _audit(cli) if d["links"]]
    assert confirmed == [("office", "capability:1", before[1]), ("office", "capability:all", sum(after.values()))]
