"""Signatures: a signed file verifies, one changed byte does not, rotation keeps old signatures valid."""

from __future__ import annotations

from pathlib import Path

import pytest

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
