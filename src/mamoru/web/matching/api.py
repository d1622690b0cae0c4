"""The matching API under /api/v1/match: hashes in, matches out. There is no image upload.

A platform would otherwise be sending the very material the service exists to stop, so only hashes
are accepted (the platform hashes on its own machines with `mamoru hash` or the hashing module).
Every route is for platform accounts (role `platform`) by API token with the `match` scope; a
browser session, whatever its role (an administrator's too), gets 403. Each token is rate limited (MAMORU_MATCH_RATE, requests per window,
counted in Redis across processes when MAMORU_MATCH_REDIS_URL is set, else per process) and its
queries are counted per day; unmatched queries leave nothing else (the counters are collected in memory and written every
MAMORU_MATCH_COUNT_SECONDS, matching/counting.py, so no request waits for another's counter row).
`POST /api/v1/match/reports` lets a platform report to the hotline a URL whose hashes match
(hotline/platform_reports.py): re-checked here, then written to the hotline's inbox.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from mamoru.auth import roles
from mamoru.auth.models import User
from mamoru.db import Database
from mamoru.hotline.platform_reports import MAX_REPORT_HASHES, report_match
from mamoru.matching.answers import MAX_HASHES, answer, answer_dihedral
from mamoru.matching.callers import token_caller
from mamoru.matching.counting import QueryCounts
from mamoru.matching.index import MATCH_DISTANCE, MAX_DISTANCE
from mamoru.matching.runtime import MatchRuntime
from mamoru.matching.service import platform_banks, select_banks
from mamoru.matching.settings import MatchingSettings
from mamoru.ratelimit import RateLimiter, RedisRateLimiter, SlidingWindowLimiter
from mamoru.web.deps import (
    REFUSED_BEARER,
    Principal,
    authenticates_in_route,
    bearer_of,
    decide_token,
    get_principal,
    get_session,
    in_thread,
    json_body_doc,
    parse_json_body,
    refuse_without_token,
    require_api_token,
    viewer_is,
)

router = APIRouter(prefix="/api/v1/match", tags=["matching"])
log = logging.getLogger("mamoru.matching")
_STARTING = threading.Lock()  # the first requests, arriving at once, build one runtime
PLATFORMS_ONLY = ("matching is for platform API tokens: a platform account's token with the scope 'match' "
                  "matches against the banks offered to and chosen by that platform")
PLATFORM_TOKEN = require_api_token(roles.PLATFORM, scope="match", refusal=PLATFORMS_ONLY)


HASHES_ONLY = ("mamoru takes hashes only: hash the image on your own machines (`mamoru hash` or the hashing "
               "module) and send the hashes; no image, file or other content is received")


class HashesOnly(BaseModel):
    """A request of the match API: the declared fields and nothing else. An unknown field (`image`,
    `file`, `data`, anything) is refused with a 422 saying that mamoru takes hashes only, rather than
    being ignored: a platform sending content must learn that it was not (and must not be) sent."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _hashes_only(cls, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(str(k) for k in data if k not in cls.model_fields)
            if unknown:
                raise ValueError(f"{HASHES_ONLY} (unknown field: {', '.join(unknown)[:200]})")
        return data


class MatchRequest(HashesOnly):
    hashes: list[str] = Field(..., min_length=1, max_length=MAX_HASHES,
                              description="PDQ hashes (64 hex digits) or digests of the signal type")
    signal: str = Field("pdq", description="pdq, md5, sha1 or sha256")
    distance: int = Field(MATCH_DISTANCE, ge=0, le=MAX_DISTANCE, description=(
        f"Largest Hamming distance (PDQ only); a platform matches at {MATCH_DISTANCE} or less (403 above)"))
    dihedral: bool = Field(False, description=(
        "Match each image in its eight rotations and flips: every item of `hashes` is then the eight "
        "PDQ hashes of one image, comma-separated (`mamoru hash --dihedral` writes them), at most 125 "
        "images; each match names the `variant` that came closest. PDQ's rotations cannot be derived "
        "from a single hash, so they must be hashed from the image."))


class MatchReportIn(HashesOnly):
    url: str = Field(..., min_length=1, max_length=2048, description="Where the platform found the content")
    hashes: list[str] = Field(..., min_length=1, max_length=MAX_REPORT_HASHES,
                              description="The content's hashes (PDQ: 64 hex digits); at least one must match")
    signal: str = Field("pdq", description="pdq, md5, sha1 or sha256")
    note: str = Field("", max_length=5000, description="What the platform wants the hotline to know")


class MatchReportOut(BaseModel):
    receipt: str = Field(..., description="The hotline's receipt number of the report")


def make_limiter(ms: MatchingSettings) -> RateLimiter:
    """Redis when MAMORU_MATCH_REDIS_URL is set (one count for all matcher processes, whatever
    serves the request), else this process's own sliding window."""
    if ms.redis_url:
        return RedisRateLimiter(ms.redis_url, prefix="mamoru:match:rate")
    return SlidingWindowLimiter()


def _state(request: Request) -> tuple[MatchRuntime, RateLimiter]:
    return _app_state(request.app)


def _app_state(app: Any) -> tuple[MatchRuntime, RateLimiter]:
    st = app.state
    if getattr(st, "matching_runtime", None) is None:
        with _STARTING:
            if getattr(st, "matching_runtime", None) is None:
                db: Database = st.database
                ms = st.settings.domain(MatchingSettings)
                st.matching_limiter = make_limiter(ms)
                st.matching_counts = QueryCounts(db, ms.count_seconds)
                counts = st.matching_counts

                async def write_last_counts() -> None:  # in a worker thread, as every database write
                    await run_in_threadpool(counts.close)
                app.router.on_shutdown.append(write_last_counts)  # the last counts are written
                st.matching_runtime = MatchRuntime.from_settings(ms, db)
    return st.matching_runtime, st.matching_limiter


def ready_before_serving(app: Any) -> None:
    """The matcher process (role `matcher`) opens its snapshot, building the first one if there is
    none, and warms its index before uvicorn accepts the first connection. Otherwise the first
    requests would all wait behind that build (seconds on a busy machine) holding their places in
    the queue, and the ones after them would be answered 503 or time out."""

    async def warm() -> None:
        try:
            await in_thread(lambda: _app_state(app)[0].matcher())
        except Exception:  # the first request tries again (and answers the error), as before
            log.exception("the matcher could not open its snapshot at start")

    app.router.on_startup.append(warm)


def counts(request: Request) -> QueryCounts:
    """This process's query counters (collected in memory, written every few seconds)."""
    _state(request)
    found: QueryCounts = request.app.state.matching_counts
    return found


def _rate(request: Request) -> tuple[int, int]:
    rate: tuple[int, int] = request.app.state.settings.domain(MatchingSettings).rate
    return rate


def _count_request(request: Request, token_id: int) -> MatchRuntime:
    runtime, limiter = _state(request)
    limit, window = _rate(request)
    key = f"token:{token_id}"
    try:
        allowed = limiter.allow(key, limit, window)
    except OSError as exc:  # the shared counter is down: refuse rather than serve unlimited
        raise HTTPException(503, "rate limiter unavailable; try again later",
                            headers={"Retry-After": "5"}) from exc
    if not allowed:
        raise HTTPException(429, f"rate limit: at most {limit} requests per {window} s",
                            headers={"Retry-After": str(window)})
    return runtime


@router.post("", summary="Match up to 1,000 hashes against the banks this platform chose",
             openapi_extra=json_body_doc(MatchRequest))
@authenticates_in_route
async def match(request: Request) -> dict[str, Any]:
    # The hot route of the matcher: the body is read here on the event loop, and everything else
    # (the token, the rate limit, the body's validation, the platform's banks, the lookup, the
    # counters) happens in ONE hop into the thread pool, with the token, its owner and the chosen
    # banks in one Core statement on the short pool (matching/callers.py, db.Database.short),
    # instead of a hop per dependency, three transactions and ORM queries (docs/performance.md, the
    # concurrency sweep). The answers are those of the dependencies the other routes use, in their
    # order: 401/403 before a body is validated (tests/security/test_authorization_matrix.py,
    # test_api_authentication.py).
    return await in_thread(_match_now, request, await request.body())


def _match_now(request: Request, raw: bytes) -> dict[str, Any]:
    runtime, _ = _state(request)
    # Before the request's reads: a refresh can write (the first snapshot) in a transaction of its
    # own, and on SQLite a reading transaction older than that write could no longer write itself.
    matcher = runtime.matcher()
    db: Database = request.app.state.database
    bearer = bearer_of(request)
    if bearer is None:
        with db.session() as session:
            refuse_without_token(request, session, PLATFORMS_ONLY)
    caller = db.short(lambda conn: token_caller(conn, bearer))  # its use is recorded, refused or not
    if caller is None:
        raise HTTPException(401, REFUSED_BEARER, headers={"WWW-Authenticate": "Bearer"})
    decide_token(caller.role, caller.scopes, roles.PLATFORM, scope="match", refusal=PLATFORMS_ONLY)
    viewer_is(request, caller.user_id, caller.username, caller.role, caller.agency_code)
    body = parse_json_body(MatchRequest, raw)
    _count_request(request, caller.token_id)
    if body.dihedral and body.signal != "pdq":
        raise HTTPException(422, "dihedral matching is for PDQ hashes")
    how = answer_dihedral if body.dihedral else None

    def look(conn: Connection) -> dict[str, Any]:
        if how is not None:
            return how(conn, matcher, caller.asker, body.hashes, body.distance, counts=counts(request)).as_dict()
        return answer(conn, matcher, caller.asker, body.hashes, body.signal, body.distance,
                      counts=counts(request)).as_dict()

    return db.short(look)


@router.post("/reports", response_model=MatchReportOut, status_code=201,
             summary="Report to the hotline a URL whose content matches the banks (re-checked here)")
def report(body: MatchReportIn, request: Request, session: Session = Depends(get_session),
           principal: Principal = Depends(get_principal),
           user: User = Depends(PLATFORM_TOKEN)) -> MatchReportOut:
    assert principal.token is not None  # PLATFORM_TOKEN: API tokens only
    runtime = _count_request(request, principal.token.id)
    session.commit()  # as in match(): the matcher may refresh in a transaction of its own
    receipt = report_match(session, runtime.matcher(), user, body.url, body.hashes, body.note, body.signal)
    return MatchReportOut(receipt=receipt)


class BankChoiceOut(BaseModel):
    bank: str
    owner: str = Field(..., description="The bank's owner organisation")
    labels: bool = Field(..., description="Whether matches in this bank carry their category label "
                                          "(an administrator's decision)")
    selected: bool = Field(..., description="Whether this platform matches against the bank (its own choice)")


class BankChoiceIn(HashesOnly):
    banks: list[str] = Field(..., max_length=1000, description=(
        "The banks, among those offered to this platform, to match against; the others are left out "
        "(an empty list: nothing matches)"))


def _choices(rows: Any) -> list[BankChoiceOut]:
    return [BankChoiceOut(bank=p.bank.name, owner=p.bank.owner_organisation, labels=p.show_labels,
                          selected=p.selected) for p in sorted(rows, key=lambda p: p.bank.name)]


@router.get("/banks", response_model=list[BankChoiceOut],
            summary="The banks offered to this platform, and which of them it matches against")
def banks(session: Session = Depends(get_session),
          user: User = Depends(PLATFORM_TOKEN)) -> list[BankChoiceOut]:
    return _choices(platform_banks(session, user, offered=True).values())


@router.put("/banks", response_model=list[BankChoiceOut],
            summary="Choose which of the offered banks this platform matches against (audited)")
def choose(body: BankChoiceIn, session: Session = Depends(get_session),
           user: User = Depends(PLATFORM_TOKEN)) -> list[BankChoiceOut]:
    return _choices(select_banks(session, user, body.banks))


@router.get("/status", summary="Which snapshot and overlay answer now, and how fresh they are")
def status(request: Request, user: User = Depends(PLATFORM_TOKEN)) -> dict[str, Any]:
    runtime, _ = _state(request)
    by = runtime.matcher().answered_by()
    return by.as_dict() | {"checked_seconds_ago": round(runtime.staleness_seconds(), 3)}
