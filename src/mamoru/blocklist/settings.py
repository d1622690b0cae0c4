"""The blocking list's settings: every MAMORU_BLOCKLIST_* variable, declared and parsed here alone.

Processes that publish, serve or explain the list receive them as `settings.domain(BlocklistSettings)`;
the signing key's default path follows the core settings' var_dir. docs/settings.md is generated
from these declarations.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from mamoru.config import DEFAULT_VAR_DIR, INTEGER, PATH, Parser, given, setting

_NAME_OR_NONE = Parser(lambda t: t.strip() or None, "a DNS name")


@dataclass(frozen=True)
class BlocklistSettings:
    domain_name: ClassVar[str] = "the blocking list"

    key_path: Path = setting(
        "MAMORU_BLOCKLIST_KEY", "Path of the Ed25519 private key that signs published blocking lists; keep it "
        "outside the database (`mamoru blocklist key rotate` makes it, and retires the old one beside it). When set, "
        "the file must exist: the hotline process and `mamoru blocklist publish` refuse to start without it; "
        "unset, the default file is made on first use (`make run`).",
        DEFAULT_VAR_DIR / "keys" / "blocklist.key", parse=PATH,
        default_from=lambda v: v["core"].var_dir / "keys" / "blocklist.key", default_doc="var/keys/blocklist.key")
    splash: str | None = setting("MAMORU_BLOCKLIST_SPLASH", "DNS name of a notice page that RPZ entries point to "
                                 "(CNAME); empty: blocked names answer NXDOMAIN.", None, parse=_NAME_OR_NONE)
    review_days: int = setting("MAMORU_BLOCKLIST_REVIEW_DAYS", "Days until a new blocking list entry is due for "
                               "re-verification.", 180, parse=INTEGER)
    appeal_contact: str = setting(
        "MAMORU_BLOCKLIST_APPEAL_CONTACT", "Where site owners send an appeal against a blocking list entry (an e-mail "
        "address or web address), shown on the public notice page /blocked (empty: the page names the hotline "
        "without an address).", parse=Parser(str.strip, "text"))
    key_configured: bool = given("MAMORU_BLOCKLIST_KEY")
    """MAMORU_BLOCKLIST_KEY was set: its file is never made on the fly (signing.signing_key)."""
