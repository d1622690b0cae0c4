"""Publish the list: every format and the delta, built, signed and stored in one transaction.

A publication is for one list version. It holds a signed snapshot in each format and, when an
earlier version was published, a signed delta from it. Everything is built and signed in memory
first and written in the caller's transaction, so a failure leaves no partial publication.
The signing key is a file outside the database (BlocklistSettings.key_path, MAMORU_BLOCKLIST_KEY).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from mamoru import audit
from mamoru.auth.models import User
from mamoru.blocklist import signing
from mamoru.blocklist.compiler import FILE_NAMES, FORMATS, RpzOptions, compile_all
from mamoru.blocklist.models import BlocklistArtifact, BlocklistPublication, FeedAccess
from mamoru.blocklist.service import active_entries, compare, current_version
from mamoru.blocklist.settings import BlocklistSettings
from mamoru.errors import Conflict, NotFound


def delta_name(from_version: int, to_version: int) -> str:
    return f"blocklist-delta-{from_version}-{to_version}.json"


def latest_publication(session: Session) -> BlocklistPublication | None:
    return session.scalar(select(BlocklistPublication).order_by(BlocklistPublication.version.desc()).limit(1))


@dataclass(frozen=True)
class Pending:
    """What publishing now would publish: the version, what changed since the last publication, the
    files, and whether the signing key is there (the page that asks before publishing shows it)."""

    version: int
    previous: BlocklistPublication | None
    entries: int
    added: int
    removed: int
    files: tuple[str, ...]
    key_configured: bool
    key_present: bool

    @property
    def unchanged(self) -> bool:
        return self.previous is not None and self.previous.version == self.version


def pending(session: Session, cfg: BlocklistSettings) -> Pending:
    version = current_version(session)
    previous = latest_publication(session)
    entries = len(active_entries(session, version))
    added, removed = entries, 0
    if previous is not None:
        delta = compare(session, previous.version, version)
        added, removed = len(delta.added), len(delta.removed)
    files = tuple(FILE_NAMES[f] for f in FORMATS)
    if previous is not None and previous.version != version:
        files += (delta_name(previous.version, version),)
    return Pending(version, previous, entries, added, removed, files, cfg.key_configured, cfg.key_path.is_file())


def publish(session: Session, actor: User | None, cfg: BlocklistSettings, *,
            expect: int | None = None) -> BlocklistPublication:
    """Publish the current version. `expect`: the version the publisher saw before confirming; when
    the list has changed since, nothing is published (they confirmed another list)."""
    version = current_version(session)
    previous = latest_publication(session)
    if previous is not None and previous.version == version:
        raise Conflict("version {version} is already published; nothing changed since", version=version)
    if expect is not None and expect != version:
        raise Conflict("the list changed while you were looking (version {expected}, now {version}); check what "
                       "will be published and confirm again", expected=expect, version=version)
    key = signing.signing_key(cfg)  # a configured key that is missing: KeyUnavailable, nothing made
    entries = active_entries(session, version)
    artifacts = compile_all(entries, version, RpzOptions(splash=cfg.splash))
    files: list[BlocklistArtifact] = []
    for fmt in FORMATS:
        art = artifacts[fmt]
        sig = signing.sign(art.data, key, name=FILE_NAMES[fmt], fmt=fmt, version=version)
        files.append(BlocklistArtifact(kind="snapshot", format=fmt, version=version, data=art.data,
                                       sha256=art.sha256, signature=sig))
    if previous is not None:
        data = compare(session, previous.version, version).to_bytes()
        sig = signing.sign(data, key, name=delta_name(previous.version, version), fmt="delta", version=version,
                           from_version=previous.version)
        files.append(BlocklistArtifact(kind="delta", format="json", version=version, from_version=previous.version,
                                       data=data, sha256=hashlib.sha256(data).hexdigest(), signature=sig))
    pub = BlocklistPublication(version=version, previous_version=previous.version if previous else None,
                               published_by=actor.username if actor else "cli",
                               key_id=signing.key_id(key.public_key()), entry_count=len(entries))
    session.add(pub)
    session.flush()
    for f in files:
        f.publication_id = pub.id
        session.add(f)
    session.flush()
    audit.record(session, actor, "blocklist:publish", f"blocklist-version:{version}",
                 {"entries": len(entries), "key_id": pub.key_id, "previous": pub.previous_version,
                  "sha256": {f.format if f.kind == "snapshot" else "delta": f.sha256 for f in files}})
    return pub


def publication(session: Session, version: int) -> BlocklistPublication:
    pub = session.scalar(select(BlocklistPublication).where(BlocklistPublication.version == version))
    if pub is None:
        raise NotFound("version {version} was not published", version=version)
    return pub


def files_of(session: Session, pub: BlocklistPublication) -> list[BlocklistArtifact]:
    """A publication's signed files: the snapshots in the order of FORMATS, then the delta."""
    files = session.scalars(select(BlocklistArtifact).where(BlocklistArtifact.publication_id == pub.id))
    return sorted(files, key=lambda f: FORMATS.index(f.format) if f.kind == "snapshot" else len(FORMATS))


def file_name(art: BlocklistArtifact) -> str:
    """The name subscribers know a published file by (and its signature by, with .sig)."""
    return FILE_NAMES[art.format] if art.kind == "snapshot" else delta_name(art.from_version or 0, art.version)


def snapshot(session: Session, fmt: str, version: int | None = None) -> BlocklistArtifact:
    """A published snapshot: the latest, or that of `version`."""
    if fmt not in FORMATS:
        raise NotFound("no format {fmt!r}; choose {formats}", fmt=fmt, formats=", ".join(FORMATS))
    q = select(BlocklistArtifact).where(BlocklistArtifact.kind == "snapshot", BlocklistArtifact.format == fmt)
    q = q.where(BlocklistArtifact.version == version) if version is not None else q
    art = session.scalar(q.order_by(BlocklistArtifact.version.desc()).limit(1))
    if art is None:
        if version is None:
            raise NotFound("nothing published yet")
        raise NotFound("version {version} was not published", version=version)
    return art


def deltas_since(session: Session, version: int) -> list[BlocklistArtifact]:
    """The chain of published deltas from `version` to the latest publication, in order."""
    latest = latest_publication(session)
    if latest is not None and version > latest.version:
        raise NotFound("version {version} is newer than the latest publication ({latest})", version=version,
                       latest=latest.version)
    chain: list[BlocklistArtifact] = []
    at = version
    while True:
        nxt = session.scalar(select(BlocklistArtifact).where(BlocklistArtifact.kind == "delta",
                                                             BlocklistArtifact.from_version == at))
        if nxt is None:
            break
        chain.append(nxt)
        at = nxt.version
    if latest is not None and at != latest.version:
        raise NotFound("no chain of deltas from version {version}; fetch a snapshot", version=version)
    return chain


def log_access(session: Session, user: User, token_id: int | None, art: BlocklistArtifact | None, *,
               kind: str, fmt: str, version: int, from_version: int | None, status: int) -> None:
    session.add(FeedAccess(user_id=user.id, token_id=token_id, kind=kind, format=fmt,
                           version=art.version if art else version, from_version=from_version, status=status))
    session.flush()


def feed_access_log(session: Session, limit: int = 200) -> list[FeedAccess]:
    return list(session.scalars(select(FeedAccess).order_by(FeedAccess.id.desc()).limit(limit)))
