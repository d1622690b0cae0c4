"""Hash banks and the platforms that choose them, built through mamoru.matching.service; seeded PDQ
hashes and a hash a few bits away from another."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy.orm import Session
from tests.factories import users

from mamoru.auth import roles
from mamoru.matching import synthetic
from mamoru.matching.index import words_hex
from mamoru.matching.models import HashBank
from mamoru.matching.service import choose_banks, create_bank, import_file


def hexes(n: int, seed: int) -> list[str]:
    """`n` uniformly random PDQ hashes (hex), the same for the same seed."""
    return words_hex(synthetic.uniform(n, np.random.default_rng(seed)))


def near(h: str, bits: int) -> str:
    """`h` with its lowest `bits` bits flipped: at Hamming distance exactly `bits`."""
    return f"{int(h, 16) ^ ((1 << bits) - 1):064x}"


def bank(session: Session, name: str | None = None, hashes: Sequence[str] = (), label: str = "A1", *,
         description: str = "", owner_organisation: str = "") -> HashBank:
    """A bank (named `bank-<hex>` unless given: SQLite tests share one database file) holding
    `hashes`, each with category `label`, committed."""
    made = create_bank(session, name or f"bank-{secrets.token_hex(4)}", None, description, owner_organisation)
    if hashes:
        body = "hash,category\n" + "".join(f"{h},{label}\n" for h in hashes)
        import_file(session, made.name, body.encode(), "csv", "pdq", None)
    session.commit()
    return made


def two_banks(session: Session, *, chosen: str, other: str, seeds: tuple[int, int], n: int, label: str,
              show_labels: bool) -> dict[str, Any]:
    """Banks `<chosen>-<tag>` and `<other>-<tag>` of n labelled hashes each; a platform user whose match
    token sees the first only."""
    tag = secrets.token_hex(3)
    chosen_hashes, other_hashes = hexes(n, seeds[0]), hexes(n, seeds[1])
    for name, hs in ((f"{chosen}-{tag}", chosen_hashes), (f"{other}-{tag}", other_hashes)):
        bank(session, name, hs, label)
    platform = users.user(session, roles.PLATFORM)
    choose_banks(session, platform, [f"{chosen}-{tag}"], show_labels=show_labels, actor=None)
    session.commit()
    return {"tag": tag, chosen: chosen_hashes, other: other_hashes, "platform": platform,
            "token": users.api_token(session, platform, ["match"])}
