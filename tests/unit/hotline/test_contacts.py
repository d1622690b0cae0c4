"""The contact cipher: what it stores reveals nothing, opens only on its own report, the key file is
private and rotatable, and processes other than the hotline do not load it. Sealed boxes: the
intake process seals with the public key alone and opens nothing; contacts sealed with the AES keys
from before sealed boxes still open."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest

from mamoru.hotline.contact_keys import ContactKey, ContactSealer, sealer_for_role
from mamoru.hotline.contacts import ContactCipher, ContactUnreadable, cipher_for_role

CONTACT = "090-0000-0000 / someone@example.test"


def test_sealed_contact_reveals_nothing_and_opens_on_its_report_only() -> None:
    cipher = ContactCipher.generate()
    sealed = cipher.seal("R261130-00000001", CONTACT)
    assert sealed.startswith(f"hlc2:{cipher.key_id}:") and "example" not in sealed and "090" not in sealed
    assert sealed != cipher.seal("R261130-00000001", CONTACT)  # a fresh nonce each time
    assert cipher.open("R261130-00000001", sealed) == CONTACT
    with pytest.raises(ContactUnreadable, match="moved from another report"):
        cipher.open("R261130-00000002", sealed)  # copied onto another report
    tampered = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
    with pytest.raises(ContactUnreadable):
        cipher.open("R261130-00000001", tampered)
    with pytest.raises(ContactUnreadable, match="does not hold"):
        ContactCipher.generate().open("R261130-00000001", sealed)


def test_key_file_is_created_private_and_the_first_key_seals(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "contact.key"
    first = ContactCipher.from_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ContactCipher.from_file(path) == first  # read again, not replaced
    sealed = first.seal("R1", CONTACT)
    newer = base64.urlsafe_b64encode(b"\x01" * 32).decode()
    path.write_text(f"# rotated 2026-11-30\n{newer}\n{path.read_text()}")
    rotated = ContactCipher.from_file(path)
    assert rotated.key_id != first.key_id and rotated.open("R1", sealed) == CONTACT
    assert rotated.seal("R1", CONTACT).startswith(f"hlc1:{rotated.key_id}:")


def test_a_bad_key_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "contact.key"
    for content in (base64.urlsafe_b64encode(b"short").decode() + "\n", "not base64 at all!\n", "# no key\n"):
        path.write_text(content)
        with pytest.raises(ValueError, match="not a contact key file"):
            ContactCipher.from_file(path)


@pytest.mark.parametrize("role", ["portal", "office", "matcher", "feed", "intake"])
def test_only_hotline_processes_load_the_key(tmp_path: Path, role: str) -> None:
    path = tmp_path / "contact.key"
    with pytest.raises(PermissionError):
        cipher_for_role(role, path)
    assert not path.exists()
    assert cipher_for_role("hotline", path).keys and path.exists()


def test_the_public_key_seals_what_only_the_private_key_opens(tmp_path: Path) -> None:
    hotline = ContactCipher.from_file(tmp_path / "contact.key")
    public = tmp_path / "contact.pub"
    public.write_text(hotline.public_line() + "\n")
    assert "x25519:" not in public.read_text()  # the private key never leaves the key file
    sealer = sealer_for_role("intake", public)
    sealed = sealer.seal("R261130-00000003", CONTACT)
    assert sealed.startswith(f"hlc2:{hotline.key_id}:") and "example" not in sealed
    assert not hasattr(sealer, "open")  # the intake holds nothing that opens
    assert hotline.open("R261130-00000003", sealed) == CONTACT
    with pytest.raises(ContactUnreadable, match="moved from another report"):
        hotline.open("R261130-00000004", sealed)
    with pytest.raises(ContactUnreadable, match="does not hold"):
        ContactCipher.generate().open("R261130-00000003", sealed)


def test_contacts_sealed_with_the_old_aes_key_still_open_after_moving_to_sealed_boxes(tmp_path: Path) -> None:
    path = tmp_path / "contact.key"
    aes = ContactKey("aes", b"\x02" * 32)
    path.write_text(aes.line() + "\n")  # a key file from before sealed boxes
    old = ContactCipher.from_file(path)
    legacy = old.seal("R1", CONTACT)
    assert legacy.startswith(f"hlc1:{old.key_id}:")
    with pytest.raises(ValueError, match="put an X25519 key first"):
        old.public_line()
    rotated = old.rotated()
    assert rotated.open("R1", legacy) == CONTACT
    assert rotated.seal("R1", CONTACT).startswith(f"hlc2:{rotated.key_id}:")
    assert rotated.current_prefix == f"hlc2:{rotated.key_id}:"


@pytest.mark.parametrize("role", ["portal", "office", "matcher", "feed", "hotline", "all"])
def test_only_the_intake_seals_with_the_public_key_alone(tmp_path: Path, role: str) -> None:
    public = tmp_path / "contact.pub"
    public.write_text(ContactCipher.generate().public_line() + "\n")
    with pytest.raises(PermissionError):
        sealer_for_role(role, public)


def test_a_missing_or_bad_public_key_file_is_refused_with_the_way_to_make_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="contact-key --public-out"):
        sealer_for_role("intake", tmp_path / "missing.pub")
    bad = tmp_path / "bad.pub"
    for content in ("x25519:AAAA\n", "x25519-public:c2hvcnQ=\n", ""):
        bad.write_text(content)
        with pytest.raises(ValueError, match="not a public contact key file"):
            ContactSealer.from_file(bad)
