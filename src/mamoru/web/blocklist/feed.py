"""The subscriber feed: signed snapshots per format, deltas since a version, public keys.

ISPs and filtering vendors fetch with an API token holding the `feed` scope. Every file answers
with an ETag (its SHA-256) and honours If-None-Match with 304; every fetch, 304s included, and
every request of the delta index is logged with who fetched which version (no client address). Public keys need no token.
A subscriber entitled to the hashed list only (blocklist.service.set_entitlement) gets 403 with the
reason for every plaintext snapshot, its signature and every delta route, and 200 for the hashed list.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from mamoru.auth import roles
from mamoru.auth.models import User
from mamoru.blocklist import publishing, service, signing
from mamoru.blocklist.compiler import CONTENT_TYPES, FILE_NAMES
from mamoru.blocklist.models import BlocklistArtifact
from mamoru.blocklist.settings import BlocklistSettings
from mamoru.errors import NotFound
from mamoru.web.deps import Principal, get_principal, get_session, get_settings, require_roles

router = APIRouter(prefix="/api/v1/blocklist", tags=["blocklist"])
FEED_ROLES = frozenset(r for r in roles.ALL_ROLES if roles.may_hold(r, "feed"))
"""Who fetches the feed: the roles that may hold the scope `feed` (subscribers: ISPs, filtering services)."""
feed_user = require_roles(*sorted(FEED_ROLES), scope="feed")


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag in tags


def _serve(request: Request, session: Session, principal: Principal, user: User, art: BlocklistArtifact,
           *, body: bytes, media_type: str, name: str, since: int | None = None) -> Response:
    etag = f'"{art.sha256}"' if body is art.data else f'"{art.sha256}.sig"'
    headers = {"ETag": etag, "X-Blocklist-Version": str(art.version), "Cache-Control": "no-cache",
               "Content-Disposition": f'attachment; filename="{name}"'}
    kind = art.kind if body is art.data else art.kind + ".sig"
    token_id = principal.token.id if principal.token is not None else None
    if _matches(request.headers.get("if-none-match"), etag):
        publishing.log_access(session, user, token_id, art, kind=kind, fmt=art.format, version=art.version,
                              from_version=since, status=304)
        return Response(status_code=304, headers=headers)
    publishing.log_access(session, user, token_id, art, kind=kind, fmt=art.format, version=art.version,
                          from_version=since, status=200)
    return Response(body, media_type=media_type, headers=headers)


@router.get("/keys", summary="The list's public signing keys (current and retired); no token needed")
def keys(request: Request) -> list[dict[str, str]]:
    cfg = get_settings(request).domain(BlocklistSettings)
    if not cfg.key_path.exists():
        return []
    return signing.published_public_keys(cfg.key_path)


@router.get("/snapshots/{fmt}", summary="The latest (or a given version's) signed snapshot in one format")
def snapshot(fmt: str, request: Request, version: int | None = Query(None, ge=0),
             session: Session = Depends(get_session), principal: Principal = Depends(get_principal),
             user: User = Depends(feed_user)) -> Response:
    service.require_entitlement(session, user, fmt)
    art = publishing.snapshot(session, fmt, version)
    return _serve(request, session, principal, user, art, body=art.data, media_type=CONTENT_TYPES[fmt],
                  name=FILE_NAMES[fmt])


@router.get("/snapshots/{fmt}/signature", summary="The signature file of a snapshot")
def snapshot_signature(fmt: str, request: Request, version: int | None = Query(None, ge=0),
                       session: Session = Depends(get_session), principal: Principal = Depends(get_principal),
                       user: User = Depends(feed_user)) -> Response:
    service.require_entitlement(session, user, fmt)
    art = publishing.snapshot(session, fmt, version)
    return _serve(request, session, principal, user, art, body=art.signature, media_type="application/json",
                  name=FILE_NAMES[fmt] + ".sig")


@router.get("/deltas", summary="The chain of published deltas from a version to the latest")
def deltas(since: int = Query(..., ge=0), session: Session = Depends(get_session),
           principal: Principal = Depends(get_principal), user: User = Depends(feed_user)) -> dict[str, object]:
    service.require_entitlement(session, user, "delta")
    latest = publishing.latest_publication(session)
    if latest is None:
        raise NotFound("nothing published yet")
    chain = publishing.deltas_since(session, since)
    token_id = principal.token.id if principal.token is not None else None
    publishing.log_access(session, user, token_id, None, kind="delta-index", fmt="json", version=latest.version,
                          from_version=since, status=200)
    return {"latest_version": latest.version, "deltas": [
        {"from_version": d.from_version, "to_version": d.version, "sha256": d.sha256,
         "href": f"{router.prefix}/deltas/{d.from_version}/{d.version}",
         "signature_href": f"{router.prefix}/deltas/{d.from_version}/{d.version}/signature"} for d in chain]}


def _delta(session: Session, from_version: int, to_version: int) -> BlocklistArtifact:
    art = session.scalar(select(BlocklistArtifact).where(BlocklistArtifact.kind == "delta",
                                                         BlocklistArtifact.from_version == from_version,
                                                         BlocklistArtifact.version == to_version))
    if art is None:
        raise NotFound("no published delta from version {start} to {end}", start=from_version, end=to_version)
    return art


@router.get("/deltas/{from_version}/{to_version}", summary="One signed delta (JSON)")
def delta(from_version: int, to_version: int, request: Request, session: Session = Depends(get_session),
          principal: Principal = Depends(get_principal), user: User = Depends(feed_user)) -> Response:
    service.require_entitlement(session, user, "delta")
    art = _delta(session, from_version, to_version)
    return _serve(request, session, principal, user, art, body=art.data, media_type="application/json",
                  name=publishing.delta_name(from_version, to_version), since=from_version)


@router.get("/deltas/{from_version}/{to_version}/signature", summary="The signature file of a delta")
def delta_signature(from_version: int, to_version: int, request: Request, session: Session = Depends(get_session),
                    principal: Principal = Depends(get_principal), user: User = Depends(feed_user)) -> Response:
    service.require_entitlement(session, user, "delta")
    art = _delta(session, from_version, to_version)
    return _serve(request, session, principal, user, art, body=art.signature, media_type="application/json",
                  name=publishing.delta_name(from_version, to_version) + ".sig", since=from_version)


@router.get("/access-log", summary="Who fetched which version of which file (administrators, auditors)")
def access_log(session: Session = Depends(get_session),
               user: User = Depends(require_roles(roles.ADMINISTRATOR, roles.AUDITOR, scope="blocklist"))) -> list[dict[str, object]]:
    rows = publishing.feed_access_log(session)
    names = {u.id: u.username for u in session.scalars(select(User).where(User.id.in_({r.user_id for r in rows})))}
    return [{"at": r.at.isoformat(), "user": names.get(r.user_id, ""), "token_id": r.token_id, "kind": r.kind,
             "format": r.format, "version": r.version, "from_version": r.from_version, "status": r.status}
            for r in rows]
