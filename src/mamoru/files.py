"""Files written whole or not at all: keys, published lists, exports.

A file is written under a temporary name in its own folder (created with its final mode, so a private
file is never readable by others even for a moment), flushed to disk, then put in place with one
rename or link; a process killed part-way leaves the old file (or none), never half a file.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


def write_temporary(path: Path, data: bytes, mode: int = 0o644) -> Path:
    """`data` in a new file beside `path`, flushed to disk; returns its name for the caller to put in place."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def sync_folder(folder: Path) -> None:
    """Flush a folder's entries (the renames into it) to disk, where the system allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def replace(path: Path, data: bytes, mode: int = 0o644) -> None:
    """`path` replaced whole: a reader sees the old file or the new one, never part of either."""
    tmp = write_temporary(path, data, mode)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def create_once(path: Path, data: bytes, mode: int = 0o600) -> bool:
    """Create `path` whole unless it exists (then False, and the existing file is left alone)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = write_temporary(path, data, mode)
    try:
        os.link(tmp, path)
    except FileExistsError:
        return False
    finally:
        tmp.unlink()
    return True


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def public_key_path(private_path: Path) -> Path:
    return private_path.with_name(private_path.name + ".pub")


def load_private_key(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return key


def create_key(path: Path) -> Ed25519PrivateKey:
    """A new Ed25519 key at `path` (mode 0600) with its public key beside it; when two processes
    create it at once, both end with the first one's key."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    if not create_once(path, pem, 0o600):
        return load_or_create_key(path)
    replace(public_key_path(path), public_pem(key.public_key()))
    return key


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """The Ed25519 key at `path`, created if missing; a missing public key (a process stopped between
    the two files) is written again where this process may write."""
    if not path.exists():
        return create_key(path)
    key = load_private_key(path)
    pub = public_key_path(path)
    if not pub.exists():
        try:
            replace(pub, public_pem(key.public_key()))
        except OSError:  # a process that may only read the key; the key is what counts
            pass
    return key
