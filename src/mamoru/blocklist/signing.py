"""Ed25519 signatures for published snapshots and deltas, with a rotatable key kept outside the database.

A signature file is a small JSON statement (what was signed: file name, format, list version,
SHA-256 of the bytes, the key id) and the Ed25519 signature over that statement. The private key is
a PEM file named in settings (MAMORU_BLOCKLIST_KEY); rotating it moves the old key aside as
`<name>.<key id>.retired` and keeps its public key, so earlier signatures still verify. A key path
given in settings is never created on the fly (signing_key); the default one is, for `make run`.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from mamoru import files
from mamoru.blocklist.settings import BlocklistSettings
from mamoru.errors import DomainError

SIGNATURE_FORMAT = "mamoru-blocklist-signature/1"


class BadSignature(ValueError):
    """The file does not match its signature, or the signature does not verify with the key."""


@dataclass(frozen=True)
class SignedStatement:
    name: str
    format: str
    version: int
    from_version: int | None
    sha256: str
    key_id: str


def key_id(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


# The key file itself is kept by mamoru.files: written whole (a kill leaves no key, never a
# truncated one), mode 0600 from creation, its public key beside it.
public_pem = files.public_pem
load_or_create_key = files.load_or_create_key


class KeyUnavailable(DomainError):
    """The configured signing key (MAMORU_BLOCKLIST_KEY) is missing or unreadable; no key is made in
    its place. 503 on the web, exit 2 on the command line."""

    status = 503
    exit_code = 2


def signing_key(cfg: BlocklistSettings) -> Ed25519PrivateKey:
    """The key that signs publications. A path given in MAMORU_BLOCKLIST_KEY must hold a readable
    Ed25519 key, else KeyUnavailable naming the path: a publisher whose key went missing must not
    start signing with a new key nobody trusts (only `mamoru blocklist key rotate` makes one). The
    default path (the setting unset: `make run`) is made on first use."""
    if not cfg.key_configured:
        return load_or_create_key(cfg.key_path)
    path = cfg.key_path
    try:
        return files.load_private_key(path)
    except FileNotFoundError:
        raise KeyUnavailable("the blocking list's signing key {path} (MAMORU_BLOCKLIST_KEY) does not exist; "
                             "restore it, or make a new one with `mamoru blocklist key rotate`", path=path) from None
    except (OSError, ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise KeyUnavailable("the blocking list's signing key {path} (MAMORU_BLOCKLIST_KEY) cannot be read: "
                             "{reason}", path=path, reason=str(exc)) from None


def rotate_key(path: Path) -> tuple[str | None, str]:
    """Retire the current key (kept beside it with its public key) and make a new one: (old id, new id).
    The retired public key is written first, so a crash part-way never loses what verifies old files."""
    old_id = None
    if path.exists():
        old = load_or_create_key(path)
        old_id = key_id(old.public_key())
        files.replace(path.with_name(f"{path.name}.{old_id}.pub"), public_pem(old.public_key()))
        retired = path.with_name(f"{path.name}.{old_id}.retired")
        path.rename(retired)
        retired.chmod(0o600)
    new = files.create_key(path)
    return old_id, key_id(new.public_key())


def published_public_keys(path: Path) -> list[dict[str, str]]:
    """The current public key and every retired one, for subscribers: key id, PEM, status."""
    out: list[dict[str, str]] = []
    if path.exists():
        pub = load_or_create_key(path).public_key()
        out.append({"key_id": key_id(pub), "status": "current", "pem": public_pem(pub).decode()})
    for p in sorted(path.parent.glob(f"{path.name}.*.pub")):
        pub = load_public_key(p)
        out.append({"key_id": key_id(pub), "status": "retired", "pem": public_pem(pub).decode()})
    return out


def load_public_key(path: Path) -> Ed25519PublicKey:
    data = path.read_bytes()
    if b"PRIVATE KEY" in data:
        priv = serialization.load_pem_private_key(data, password=None)
        if not isinstance(priv, Ed25519PrivateKey):
            raise ValueError(f"{path} is not an Ed25519 key")
        return priv.public_key()
    key = serialization.load_pem_public_key(data)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{path} is not an Ed25519 public key")
    return key


def _canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")


def sign(data: bytes, key: Ed25519PrivateKey, *, name: str, fmt: str, version: int,
         from_version: int | None = None) -> bytes:
    """The signature file (JSON) for `data`."""
    body = {"format": SIGNATURE_FORMAT, "name": name, "artifact_format": fmt, "version": version,
            "from_version": from_version, "sha256": hashlib.sha256(data).hexdigest(),
            "key_id": key_id(key.public_key())}
    signature = base64.b64encode(key.sign(_canonical(body))).decode("ascii")
    return json.dumps({**body, "signature": signature}, sort_keys=True, indent=1).encode("utf-8") + b"\n"


def verify(data: bytes, signature_file: bytes, public: Ed25519PublicKey, name: str | None = None) -> SignedStatement:
    """Check the signature and that it covers exactly these bytes; BadSignature otherwise. With the
    file's `name`, a valid signature of another published file is named as such (a signature given
    for the wrong file), rather than reported as an altered file."""
    try:
        doc = json.loads(signature_file)
        sig = base64.b64decode(doc.pop("signature"), validate=True)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BadSignature("the signature file is not a mamoru blocking list signature") from exc
    if doc.get("format") != SIGNATURE_FORMAT:
        raise BadSignature("the signature file is not a mamoru blocking list signature")
    if doc.get("key_id") != key_id(public):
        raise BadSignature(f"signed with key {doc.get('key_id')}, not with the given key {key_id(public)}")
    try:
        public.verify(sig, _canonical(doc))
    except InvalidSignature as exc:
        raise BadSignature("the signature does not verify with the given key") from exc
    if hashlib.sha256(data).hexdigest() != doc["sha256"]:
        if name is not None and doc.get("name") != name:
            raise BadSignature(f"the signature does not match this file: it is the signature of {doc.get('name')} "
                               f"(version {doc.get('version')}), not of {name}; check {name} with its own signature")
        raise BadSignature("the file's SHA-256 differs from the signed one: the file was altered")
    return SignedStatement(doc["name"], doc["artifact_format"], int(doc["version"]), doc.get("from_version"),
                           doc["sha256"], doc["key_id"])
