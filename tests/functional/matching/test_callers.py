"""The match API's hot path reads its caller in one Core statement (matching/callers.py): the same
answers as the ORM path it replaced (auth.service.find_token, then answers.asker_of) for every kind of
token, live or not; and the short pool it uses on PostgreSQL (db.Database.short) survives a
connection the server has closed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from tests.conftest import PG_URL
from tests.factories import users
from tests.factories.matching import two_banks

from mamoru.auth import roles, tokens
from mamoru.auth import service as auth_service
from mamoru.auth.models import ApiToken
from mamoru.db import Database, make_engine, utcnow
from mamoru.matching.answers import asker_of
from mamoru.matching.callers import token_caller
from mamoru.matching.service import choose_banks, select_banks


def _orm(session: Session, secret: str) -> tuple[Any, ...] | None:
    tok = auth_service.find_token(session, secret, touch=False)
    if tok is None:
        return None
    a = asker_of(session, tok.user)
    return (tok.id, tuple(tok.scopes or ()), tok.user.id, tok.user.username, tok.user.role, tok.user.agency_code,
            a.user_id, a.role, dict(a.chosen))


def _core(session: Session, secret: str) -> tuple[Any, ...] | None:
    c = token_caller(session.connection(), secret)
    if c is None:
        return None
    return (c.token_id, c.scopes, c.user_id, c.username, c.role, c.agency_code,
            c.asker.user_id, c.asker.role, dict(c.asker.chosen))


def test_the_one_statement_reads_what_the_orm_reads_for_every_kind_of_token(session: Session) -> None:
    world = two_banks(session, chosen="offered", other="unoffered", seeds=(51, 52), n=2, label="A1", show_labels=True)
    platform = world["platform"]
    secrets_ = {"live, one bank with labels": world["token"]}
    both = users.user(session, roles.PLATFORM)
    choose_banks(session, both, [f"offered-{world['tag']}", f"unoffered-{world['tag']}"], show_labels=False, actor=None)
    select_banks(session, both, [f"offered-{world['tag']}"])  # the other offered, not chosen
    secrets_["live, two banks offered, one chosen"] = users.api_token(session, both, ["match"])
    secrets_["live, no bank offered"] = users.api_token(session, users.user(session, roles.PLATFORM), ["match"])
    secrets_["another role"] = users.api_token(session, users.user(session, roles.ANALYST), ["hotline:read"])
    revoked = users.api_token(session, platform, ["match"], name="revoked")
    expired = users.api_token(session, platform, ["match"], name="expired")
    for name, secret in (("revoked", revoked), ("expired", expired)):
        tok = session.scalar(select(ApiToken).where(ApiToken.secret_hash == tokens.token_secret_digest(secret)))
        assert tok is not None
        if name == "revoked":
            tok.revoked_at = utcnow()
        else:
            tok.expires_at = utcnow() - timedelta(seconds=1)
    gone = users.user(session, roles.PLATFORM)
    secrets_["owner deactivated"] = users.api_token(session, gone, ["match"])
    gone.active = False
    session.commit()
    secrets_ |= {"revoked": revoked, "expired": expired, "unknown": "mamoru_not-a-token"}
    seen = {name: (_core(session, s), _orm(session, s)) for name, s in secrets_.items()}
    for name, (core, orm) in seen.items():
        assert core == orm, name
    assert {n for n, (core, _) in seen.items() if core is None} == {"revoked", "expired", "owner deactivated", "unknown"}
    assert list(_chosen(seen, "live, one bank with labels").values()) == [True]
    assert list(_chosen(seen, "live, two banks offered, one chosen").values()) == [False]
    assert _chosen(seen, "live, no bank offered") == {}


def _chosen(seen: dict[str, Any], name: str) -> dict[int, bool]:
    core = seen[name][0]
    assert core is not None
    return core[-1]  # type: ignore[no-any-return]


def test_the_one_statement_records_the_use_of_a_token_once_a_minute(session: Session) -> None:
    world = two_banks(session, chosen="offered", other="unoffered", seeds=(53, 54), n=1, label="A1", show_labels=False)
    digest = tokens.token_secret_digest(world["token"])
    used = select(ApiToken.last_used_at).where(ApiToken.secret_hash == digest)
    assert session.scalar(used) is None
    assert token_caller(session.connection(), world["token"]) is not None
    first = session.scalar(used)
    assert first is not None
    assert token_caller(session.connection(), world["token"]) is not None
    assert session.scalar(used) == first  # not again within the minute


@pytest.mark.skipif(not PG_URL, reason="needs MAMORU_TEST_POSTGRES_URL (CI sets it)")
def test_the_reader_pool_replaces_a_connection_the_server_closed_and_reads_again() -> None:
    assert PG_URL is not None
    db = Database.from_url(PG_URL, pool_size=1, short=True)
    admin = make_engine(PG_URL)
    assert db.short_engine is not None
    try:
        pid = db.short(lambda c: c.execute(text("SELECT pg_backend_pid()")).scalar_one())
        assert db.short(lambda c: c.execute(text("SELECT pg_backend_pid()")).scalar_one()) == pid  # pooled, kept
        with admin.connect() as c:
            assert c.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar_one()
        calls: list[int] = []

        def read(c: Any) -> int:
            calls.append(1)
            return int(c.execute(text("SELECT pg_backend_pid()")).scalar_one())

        assert db.short(read) != pid  # the dead connection was dropped and the read ran again
        assert len(calls) == 2
        # autocommit: no transaction is left open on the connection between reads
        assert db.short(lambda c: c.execute(text("SELECT now() = statement_timestamp()")).scalar_one()) is True
    finally:
        db.short_engine.dispose()
        db.engine.dispose()
        admin.dispose()
