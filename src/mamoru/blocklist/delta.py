"""Deltas: the changes between two versions of the list, and applying them to a copy.

A delta names the version it starts from and the one it ends at, the entries added and the ids
removed (an entry whose published fields changed is removed and added again). A subscriber applies
deltas in order; applying one to the wrong version is refused, so a gap is noticed, not papered over.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from mamoru.blocklist.compiler import ListedEntry, entry_dicts, listed_entries, read_document, whole_number

DELTA_FORMAT = "mamoru-blocklist-delta/1"


@dataclass(frozen=True)
class Delta:
    from_version: int
    to_version: int
    added: tuple[ListedEntry, ...]
    removed: tuple[int, ...]

    def to_bytes(self) -> bytes:
        doc = {"format": DELTA_FORMAT, "from_version": self.from_version, "to_version": self.to_version,
               "added": entry_dicts(self.added), "removed": list(self.removed)}
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> Delta:
        """Read a delta back; ValueError (with a reason) for anything that is not one."""
        doc = read_document(data, DELTA_FORMAT, "mamoru blocking list delta")
        added = tuple(listed_entries(doc.get("added"), "added"))
        removed = doc.get("removed")
        if not isinstance(removed, list):
            raise ValueError("removed is not a list")
        return cls(whole_number(doc.get("from_version"), "from_version"),
                   whole_number(doc.get("to_version"), "to_version"), added,
                   tuple(whole_number(i, f"removed, item {n}") for n, i in enumerate(removed, start=1)))


def make_delta(old: Sequence[ListedEntry], new: Sequence[ListedEntry], from_version: int, to_version: int) -> Delta:
    before = {e.id: e for e in old}
    after = {e.id: e for e in new}
    removed = sorted(i for i, e in before.items() if after.get(i) != e)
    added = sorted((e for i, e in after.items() if before.get(i) != e), key=lambda e: e.id)
    return Delta(from_version, to_version, tuple(added), tuple(removed))


def apply_delta(entries: Sequence[ListedEntry], version: int, delta: Delta) -> tuple[int, list[ListedEntry]]:
    """The list after the delta, ordered by id; ValueError when the delta starts elsewhere."""
    if delta.from_version != version:
        raise ValueError(f"this delta goes from version {delta.from_version} to {delta.to_version}, "
                         f"but the list is at version {version}")
    current = {e.id: e for e in entries}
    for i in delta.removed:
        if current.pop(i, None) is None:
            raise ValueError(f"the delta removes entry {i}, which the list does not hold")
    for e in delta.added:
        current[e.id] = e
    return delta.to_version, sorted(current.values(), key=lambda e: e.id)
