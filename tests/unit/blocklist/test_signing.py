"""Signatures: a signed file verifies, one changed byte does not, rotation keeps old signatures valid."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mamoru import files
from mamoru.blocklist import signing


def test_sign_verify_tamper_and_rotate(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "blocklist.key"
    key = signing.load_or_create_key(path)
    data = b"@ IN SOA localhost. hostmaster.localhost. 5 3600 600 604800 300\n"
    sig = signing.sign(data, key, name="blocklist.rpz", fmt="rpz", version=5)
    pub = signing.load_public_key(path.with_name("blocklist.key.pub"))
    st = signing.verify(data, sig, pub)
    assert (st.version, st.format, st.key_id) == (5, "rpz", signing.key_id(pub))

    tampered = bytearray(data)
    tampered[30] ^= 1
    with pytest.raises(signing.BadSignature, match="altered"):
        signing.verify(bytes(tampered), sig, pub)
    hosts = b"0.0.0.0 listed.example.test\n"
    with pytest.raises(signing.BadSignature, match="it is the signature of blocklist.rpz .version 5., not of blocklist.hosts"):
        signing.verify(hosts, sig, pub, name="blocklist.hosts")  # issue 12: another file's signature
    with pytest.raises(signing.BadSignature, match="altered"):
        signing.verify(bytes(tampered), sig, pub, name="blocklist.rpz")
    forged = sig.replace(b'"version": 5', b'"version": 6')
    with pytest.raises(signing.BadSignature):
        signing.verify(data, forged, pub)

    old_id, new_id = signing.rotate_key(path)
    assert old_id == signing.key_id(pub) and new_id != old_id
    new_pub = signing.load_public_key(path)
    with pytest.raises(signing.BadSignature, match="not with the given key"):
        signing.verify(data, sig, new_pub)
    keys = signing.published_public_keys(path)
    assert [(k["key_id"], k["status"]) for k in keys] == [(new_id, "current"), (old_id, "retired")]
    old_pub_file = tmp_path / "old.pub"
    old_pub_file.write_text(keys[1]["pem"])
    assert signing.verify(data, sig, signing.load_public_key(old_pub_file)).key_id == old_id


def test_a_new_key_is_private_from_the_start_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "blocklist.key"
    key = signing.load_or_create_key(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in path.parent.iterdir()) == ["blocklist.key", "blocklist.key.pub"]
    assert signing.key_id(signing.load_public_key(path.with_name("blocklist.key.pub"))) == signing.key_id(key.public_key())
    assert signing.key_id(signing.load_or_create_key(path).public_key()) == signing.key_id(key.public_key())


def test_a_key_creation_that_fails_half_way_leaves_no_key_and_the_next_use_makes_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before, the key was written in place: a kill part-way left a truncated PEM and every later
    publication failed on it."""
    path = tmp_path / "blocklist.key"

    def interrupted(src: object, dst: object) -> None:
        raise OSError("interrupted")

    monkeypatch.setattr(files.os, "link", interrupted)
    with pytest.raises(OSError, match="interrupted"):
        signing.load_or_create_key(path)
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    key = signing.load_or_create_key(path)
    assert signing.verify(b"x", signing.sign(b"x", key, name="n", fmt="csv", version=1), key.public_key())


def test_two_processes_creating_the_key_at_once_both_sign_with_the_first(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = tmp_path / "blocklist.key"
    first = Ed25519PrivateKey.generate()
    real_link = os.link

    def link_after_the_other_process(src: str, dst: str) -> None:
        Path(dst).write_bytes(first.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()))
        real_link(src, dst)

    monkeypatch.setattr(files.os, "link", link_after_the_other_process)
    key = signing.load_or_create_key(path)
    monkeypatch.undo()
    assert signing.key_id(key.public_key()) == signing.key_id(first.public_key())
    assert signing.load_public_key(tmp_path / "blocklist.key.pub").public_bytes_raw() == first.public_key().public_bytes_raw()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocklist.key", "blocklist.key.pub"]


def test_a_missing_public_key_file_is_written_again(tmp_path: Path) -> None:
    path = tmp_path / "blocklist.key"
    key = signing.load_or_create_key(path)
    path.with_name("blocklist.key.pub").unlink()
    signing.load_or_create_key(path)
    assert signing.load_public_key(path.with_name("blocklist.key.pub")).public_bytes_raw() == key.public_key().public_bytes_raw()
