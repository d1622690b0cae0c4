"""Shared by the matching tests: seeded PDQ hashes, a hash a few bits away, and two banks of which a
platform has chosen one."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from mamoru.auth import roles
from mamoru.matching import synthetic
from mamoru.matching.index import words_hex
from mamoru.matching.service import choose_banks, create_bank, import_file


def hexes(n: int, seed: int) -> list[str]:
    return words_hex(synthetic.uniform(n, np.random.default_rng(seed)))


def near(h: str, bits: int) -> str:
    """`h` with its lowest `bits` bits flipped: at Hamming distance exactly `bits`."""
    return f"{int(h, 16) ^ ((1 << bits) - 1):064x}"


def two_banks(session: Session, make_user: Callable[..., Any], api_token: Callable[..., str], *, chosen: str,
              other: str, seeds: tuple[int, int], n: int, label: str, show_labels: bool) -> dict[str, Any]:
    """Banks `<chosen>-<tag>` and `<other>-<tag>` of n labelled hashes each; a platform user whose match
    token sees the first only."""
    tag = secrets.token_hex(3)
    chosen_hashes, other_hashes = hexes(n, seeds[0]), hexes(n, seeds[1])
    for name, hs in ((f"{chosen}-{tag}", chosen_hashes), (f"{other}-{tag}", other_hashes)):
        create_bank(session, name, None)
        import_file(session, name, "".join(f"{h},{label}\n" for h in hs).join(["hash,category\n", ""]).encode(),
                    "csv", "pdq", None)
    platform = make_user(roles.PLATFORM)
    choose_banks(session, platform, [f"{chosen}-{tag}"], show_labels=show_labels, actor=None)
    session.commit()
    return {"tag": tag, chosen: chosen_hashes, other: other_hashes, "platform": platform,
            "token": api_token(platform, ["match"])}
