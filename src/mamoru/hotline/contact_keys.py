"""The keys that seal reporters' contacts: sealed boxes, so that the public intake can seal what only
the hotline can open.

A contact is sealed to the hotline's X25519 public key (`hlc2:<key id>:<base64url(ephemeral public
key | nonce | ciphertext)>`): a fresh ephemeral key pair per contact, the shared secret through
HKDF-SHA256 into an AES-256-GCM key, the report's receipt bound in as associated data (a sealed
contact copied onto another report does not open). A process holding only the public key (the
`intake` role, MAMORU_HOTLINE_CONTACT_PUBLIC_KEY) can seal and never open, not even what it sealed.

The hotline's key file (MAMORU_HOTLINE_CONTACT_KEY) holds one key a line, the first seals and all
open: `x25519:<base64url private key>` lines, and plain base64url lines, AES-256 keys from before
sealed boxes that sealed `hlc1:` contacts directly (kept so those stay readable; the worker
re-seals them with the first key). `public_line()` is what the intake's public key file holds.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from mamoru import files

AES_PREFIX = "hlc1:"  # AES-256-GCM with a shared key (before sealed boxes)
BOX_PREFIX = "hlc2:"  # sealed box to an X25519 public key
PREFIXES = (AES_PREFIX, BOX_PREFIX)
PRIVATE_TAG = "x25519:"
PUBLIC_TAG = "x25519-public:"
ROLES_HOLDING_THE_KEY = ("all", "hotline")
ROLES_SEALING_ONLY = ("intake",)
_AAD = b"mamoru hl_reports.contact "
_INFO = b"mamoru reporter contact hlc2"


class ContactUnreadable(Exception):
    """A sealed contact that this key file cannot open (another key, or altered)."""


class Sealer(Protocol):
    def seal(self, receipt: str, contact: str) -> str:
        """The stored form of `contact` for the report with `receipt`."""
        ...


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIXES)


def _key_id(material: bytes) -> str:
    return hashlib.sha256(material).hexdigest()[:8]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


def _box_key(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO + ephemeral + recipient).derive(shared)


def _seal_box(recipient: bytes, receipt: str, contact: str) -> str:
    ephemeral = X25519PrivateKey.generate()
    eph_pub = ephemeral.public_key().public_bytes_raw()
    key = _box_key(ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient)), eph_pub, recipient)
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, contact.encode("utf-8"), _AAD + receipt.encode())
    return f"{BOX_PREFIX}{_key_id(recipient)}:{_b64(eph_pub + nonce + sealed)}"


@dataclass(frozen=True)
class ContactKey:
    """One line of the key file: kind "x25519" (a private key) or "aes" (an AES-256 key, hlc1)."""

    kind: str
    secret: bytes

    def __post_init__(self) -> None:
        if self.kind not in ("x25519", "aes") or len(self.secret) != 32:
            raise ValueError("a contact key is 32 bytes, x25519 or aes")

    @property
    def public(self) -> bytes:
        if self.kind != "x25519":
            raise ValueError("an AES contact key has no public key")
        return X25519PrivateKey.from_private_bytes(self.secret).public_key().public_bytes_raw()

    @property
    def key_id(self) -> str:
        return _key_id(self.public if self.kind == "x25519" else self.secret)

    @property
    def prefix(self) -> str:
        return BOX_PREFIX if self.kind == "x25519" else AES_PREFIX

    def line(self) -> str:
        return (PRIVATE_TAG if self.kind == "x25519" else "") + _b64(self.secret)

    @classmethod
    def new(cls) -> ContactKey:
        return cls("x25519", X25519PrivateKey.generate().private_bytes_raw())

    @classmethod
    def parse(cls, line: str) -> ContactKey:
        if line.startswith(PRIVATE_TAG):
            return cls("x25519", base64.urlsafe_b64decode(line[len(PRIVATE_TAG):]))
        return cls("aes", base64.urlsafe_b64decode(line))


def _key_lines(path: Path) -> list[str]:
    return [ln.strip() for ln in path.read_text().splitlines() if ln.strip() and not ln.startswith("#")]


def write_private(path: Path, text: str) -> None:
    """Write a key file whole: under a temporary name, mode 0600 from creation, then renamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    files.replace(path, text.encode(), 0o600)


@dataclass(frozen=True)
class ContactCipher:
    """The hotline's keys: keys[0] seals, every key opens what it sealed."""

    keys: tuple[ContactKey, ...]

    def __post_init__(self) -> None:
        if not self.keys:
            raise ValueError("a contact key file holds at least one key")
        keys = tuple(k if isinstance(k, ContactKey) else ContactKey("aes", k) for k in self.keys)
        object.__setattr__(self, "keys", keys)

    @classmethod
    def generate(cls) -> ContactCipher:
        return cls((ContactKey.new(),))

    @classmethod
    def from_file(cls, path: Path) -> ContactCipher:
        """Keys from `path` ('#' comments); a missing file is created (0600) with a new X25519 key."""
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(ContactKey.new().line() + "\n")
        try:
            return cls(tuple(ContactKey.parse(ln) for ln in _key_lines(path)))
        except (binascii.Error, ValueError) as exc:
            raise ValueError(f"{path} is not a contact key file (base64 keys of 32 bytes, one a line)") from exc

    @property
    def key_id(self) -> str:
        return self.keys[0].key_id

    @property
    def current_prefix(self) -> str:
        """How a contact sealed with the first key starts."""
        return f"{self.keys[0].prefix}{self.key_id}:"

    def seal(self, receipt: str, contact: str) -> str:
        first = self.keys[0]
        if first.kind == "x25519":
            return _seal_box(first.public, receipt, contact)
        nonce = os.urandom(12)
        sealed = AESGCM(first.secret).encrypt(nonce, contact.encode("utf-8"), _AAD + receipt.encode())
        return f"{AES_PREFIX}{self.key_id}:{_b64(nonce + sealed)}"

    def open(self, receipt: str, stored: str) -> str:
        prefix = stored[:len(AES_PREFIX)]
        kid, _, body = stored[len(prefix):].partition(":")
        key = next((k for k in self.keys if k.prefix == prefix and k.key_id == kid), None)
        if key is None:
            raise ContactUnreadable(f"sealed with key {kid}, which this key file does not hold")
        try:
            raw = base64.urlsafe_b64decode(body)
            if key.kind == "aes":
                return AESGCM(key.secret).decrypt(raw[:12], raw[12:], _AAD + receipt.encode()).decode("utf-8")
            eph_pub, nonce, sealed = raw[:32], raw[32:44], raw[44:]
            shared = X25519PrivateKey.from_private_bytes(key.secret).exchange(X25519PublicKey.from_public_bytes(eph_pub))
            box = AESGCM(_box_key(shared, eph_pub, key.public))
            return box.decrypt(nonce, sealed, _AAD + receipt.encode()).decode("utf-8")
        except (binascii.Error, ValueError, InvalidTag) as exc:
            raise ContactUnreadable("the sealed contact does not open (altered, or moved from another report)") from exc

    def public_line(self) -> str:
        """The public key file's line for the first key (what the intake process seals with)."""
        if self.keys[0].kind != "x25519":
            raise ValueError("the first contact key is an AES key from before sealed boxes, which has no public "
                             "key: put an X25519 key first (mamoru hotline contact-key --rotate)")
        return PUBLIC_TAG + _b64(self.keys[0].public)

    def sealer(self) -> ContactSealer:
        return ContactSealer.parse(self.public_line())

    def rotated(self) -> ContactCipher:
        """The same keys behind a new X25519 key, which then seals."""
        return ContactCipher((ContactKey.new(), *self.keys))


@dataclass(frozen=True)
class ContactSealer:
    """The hotline's public key only: seals, cannot open."""

    public: bytes

    def __post_init__(self) -> None:
        X25519PublicKey.from_public_bytes(self.public)  # raises ValueError unless 32 bytes

    @property
    def key_id(self) -> str:
        return _key_id(self.public)

    def seal(self, receipt: str, contact: str) -> str:
        return _seal_box(self.public, receipt, contact)

    @classmethod
    def parse(cls, line: str) -> ContactSealer:
        if not line.startswith(PUBLIC_TAG):
            raise ValueError(f"a public contact key line starts with {PUBLIC_TAG!r}")
        return cls(base64.urlsafe_b64decode(line[len(PUBLIC_TAG):]))

    @classmethod
    def from_file(cls, path: Path) -> ContactSealer:
        if not path.exists():
            raise FileNotFoundError(f"{path}: the intake needs the hotline's public contact key "
                                    f"(on a hotline host: mamoru hotline contact-key --public-out FILE)")
        lines = _key_lines(path)
        try:
            return cls.parse(lines[0] if lines else "")
        except (binascii.Error, ValueError) as exc:
            raise ValueError(f"{path} is not a public contact key file ({PUBLIC_TAG}<base64>)") from exc


def cipher_for_role(role: str, path: Path) -> ContactCipher:
    """The key file, for the processes that may hold it: hotline (and all-in-one) only."""
    if role not in ROLES_HOLDING_THE_KEY:
        raise PermissionError(f"a {role} process does not hold the reporters' contact key")
    return ContactCipher.from_file(path)


def sealer_for_role(role: str, public_path: Path) -> ContactSealer:
    """The public key, for the intake process: it seals reporters' contacts and can open none."""
    if role not in ROLES_SEALING_ONLY:
        raise PermissionError(f"a {role} process does not seal contacts with the public key alone")
    return ContactSealer.from_file(public_path)
