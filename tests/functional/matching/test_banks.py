"""Banks on both databases: imports all or nothing, exports, audit, snapshot, overlay, expiry."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.factories import matching as factory
from tests.factories.matching import hexes, near

from mamoru.audit import AuditEvent
from mamoru.db import Database, utcnow
from mamoru.errors import Conflict, InvalidInput
from mamoru.matching.models import HashBank, HashBankEntry
from mamoru.matching.runtime import MatchRuntime, build_snapshot
from mamoru.matching.service import (
    create_bank,
    current_version,
    export_bank,
    import_file,
    set_entry_disabled,
)

pdq_hexes, flip = hexes, near


@pytest.fixture()
def bank(session: Session) -> str:
    return factory.bank(session, f"confirmed-{secrets.token_hex(4)}", description="confirmed by analysts",
                        owner_organisation="Internet Hotline Center").name


def test_each_format_imports_and_exports(session: Session, bank: str) -> None:
    v0 = current_version(session)
    hexes = pdq_hexes(3, 1)
    md5 = "0123456789abcdef0123456789abcdef"
    sha1 = "0123456789abcdef0123456789abcdef01234567"
    assert import_file(session, bank, "\n".join(hexes).encode(), "lines", "pdq", None).imported == 3
    csv_text = f"signal,hash,category,case_ref\nmd5,{md5},A1,HL-1\n"
    assert import_file(session, bank, csv_text.encode(), "csv", "pdq", None).imported == 1
    te_text = f"pdq {flip(hexes[0], 3)}\nvideo_md5 {md5.replace('0', 'f')}\n"
    assert import_file(session, bank, te_text.encode(), "te", "pdq", None).imported == 2
    vic = {"value": [{"Media": [{"MD5": md5.replace("1", "e"), "SHA1": sha1, "Category": 1}]}]}
    assert import_file(session, bank, json.dumps(vic).encode(), "vic", "pdq", None).imported == 2
    session.commit()
    exported = export_bank(session, bank, "csv")
    assert exported.count("\n") == 1 + 8 and "md5,0123456789abcdef0123456789abcdef,A1,HL-1" in exported
    assert export_bank(session, bank, "lines", "pdq").split() == hexes + [flip(hexes[0], 3)]
    assert json.loads(export_bank(session, bank, "vic"))["value"][-1] == {"SHA1": sha1, "Category": "1"}
    assert current_version(session) == v0 + 4


def test_bad_lines_are_reported_and_nothing_is_stored(session: Session, bank: str) -> None:
    good = pdq_hexes(2, 2)
    text = f"{good[0]}\nnot-a-hash\n{good[1]}\n{good[1][:-1]}\n"
    with pytest.raises(InvalidInput) as caught:
        import_file(session, bank, text.encode(), "lines", "pdq", None)
    assert [p.row for p in caught.value.problems] == [2, 4]
    assert session.scalar(select(func.count()).select_from(HashBankEntry).join(HashBank)
                          .where(HashBank.name == bank)) == 0
    with pytest.raises(InvalidInput) as caught:
        import_file(session, bank, b"signal,hash\nsha1,abc\n", "csv", "pdq", None)
    assert caught.value.problems[0].row == 2
    with pytest.raises(Conflict):
        create_bank(session, bank, None)


def test_changes_are_audited(session: Session, bank: str) -> None:
    import_file(session, bank, "\n".join(pdq_hexes(2, 3)).encode(), "lines", "pdq", None)
    entry = session.scalars(select(HashBankEntry).join(HashBank).where(HashBank.name == bank)).first()
    assert entry is not None
    set_entry_disabled(session, entry.id, True, None, "wrong image")
    set_entry_disabled(session, entry.id, False, None)
    actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)).all()
    assert actions[-4:] == ["match:bank:create", "match:bank:import", "match:entry:disable",
                            "match:entry:enable"]


def test_runtime_sees_additions_and_disablings_without_a_rebuild(
        database: Database, session: Session, bank: str, tmp_path: Path) -> None:
    first = pdq_hexes(50, 4)
    import_file(session, bank, "\n".join(first).encode(), "lines", "pdq", None)
    session.commit()
    v = current_version(session)
    runtime = MatchRuntime(database, tmp_path / "snaps", poll=0)
    found, by = runtime.matcher().match_pdq(np.frombuffer(bytes.fromhex(flip(first[7], 9)), np.uint64), 31)
    assert [m.distance for m in found[0]] == [9] and by.snapshot_version == v
    later = pdq_hexes(1, 5)
    import_file(session, bank, later[0].encode(), "lines", "pdq", None)
    target = session.scalars(select(HashBankEntry).where(HashBankEntry.hash == first[7])).one()
    set_entry_disabled(session, target.id, True, None, "test")
    session.commit()
    m = runtime.matcher()
    q = np.frombuffer(bytes.fromhex(later[0] + first[7]), np.uint64).reshape(2, 4)
    found, by = m.match_pdq(q, 31)
    assert len(found[0]) == 1 and found[1] == []
    assert (by.snapshot_version, by.overlay_version, by.overlay_added, by.overlay_disabled) == (v, v + 2, 1, 1)
    with database.session() as s:
        build_snapshot(s, tmp_path / "snaps")
    found, by = runtime.matcher().match_pdq(q, 31)
    assert len(found[0]) == 1 and found[1] == [] and by.snapshot_version == v + 2 and by.overlay_added == 0


def test_expired_entries_stop_matching(database: Database, session: Session, bank: str,
                                       tmp_path: Path) -> None:
    h = pdq_hexes(1, 6)[0]
    soon = (utcnow() + timedelta(days=1)).isoformat()
    gone = (utcnow() - timedelta(days=1)).isoformat()
    text = f"hash,expires_at\n{h},{soon}\n{flip(h, 40)},{gone}\n"
    import_file(session, bank, text.encode(), "csv", "pdq", None)
    session.commit()
    runtime = MatchRuntime(database, tmp_path / "snaps", poll=0)
    found, _ = runtime.matcher().match_pdq(np.frombuffer(bytes.fromhex(flip(h, 40)), np.uint64), 0)
    assert found == [[]]
    found, _ = runtime.matcher().match_pdq(np.frombuffer(bytes.fromhex(h), np.uint64), 0)
    assert len(found[0]) == 1


def test_hash_for_bank_output_imports_each_hash_once(session: Session, bank: str) -> None:
    a, b, c = pdq_hexes(3, 7)
    md5, sha256 = "ab" * 16, "cd" * 32
    text = ("path,pdq,quality,md5,sha256,sha1,item,variant\n"
            f"x.jpg,{a},90,{md5},{sha256},,1,original\n"
            f"x.jpg,{b},88,{md5},{sha256},,1,crop95\n"
            f"y.jpg,{c},91,{'ef' * 16},{'01' * 32},,2,original\n")
    assert import_file(session, bank, text.encode(), "csv", "pdq", None).imported == 7
    exported = export_bank(session, bank, "csv")
    assert exported.count(md5) == 1 and f"pdq,{b},,,1," in exported


def test_importing_the_same_file_again_adds_nothing_and_a_disabled_entry_stays_disabled(
        session: Session, bank: str) -> None:
    hexes = pdq_hexes(4, 11)
    first = import_file(session, bank, "\n".join(hexes[:3]).encode(), "lines", "pdq", None)
    assert (first.imported, first.already) == (3, 0)
    entry = session.scalars(select(HashBankEntry).join(HashBank)
                            .where(HashBank.name == bank, HashBankEntry.hash == hexes[0])).one()
    set_entry_disabled(session, entry.id, True, None, "wrong image")
    v = current_version(session)
    again = import_file(session, bank, "\n".join(hexes[:3]).encode(), "lines", "pdq", None)
    assert (again.imported, again.already) == (0, 3) and current_version(session) == v
    more = import_file(session, bank, "\n".join(hexes).encode(), "lines", "pdq", None)
    assert (more.imported, more.already) == (1, 3)
    rows = session.scalars(select(HashBankEntry).join(HashBank).where(HashBank.name == bank)).all()
    assert sorted(r.hash for r in rows) == sorted(hexes)
    assert session.get(HashBankEntry, entry.id).disabled_at is not None
    other = f"other-{secrets.token_hex(4)}"
    create_bank(session, other, None, "another bank", "partner")
    assert import_file(session, other, "\n".join(hexes).encode(), "lines", "pdq", None).imported == 4


@pytest.mark.parametrize("name", ["a/b", "back\\slash", "tab\there", ""])
def test_bank_names_that_cannot_be_used_in_a_path_are_refused(session: Session, name: str) -> None:
    with pytest.raises(InvalidInput):
        create_bank(session, name, None)
