"""The index snapshot: one file that every matcher process memory-maps and shares.

Built from the banks (by the service, or from arrays in the benchmark), written once to a temporary
name and renamed into place, never changed afterwards. Layout: a 4 KiB header (magic, format number,
a JSON document with the snapshot version, the index layout and where each array lies) followed by
the arrays, each large one at a 2 MiB boundary so the kernel can map it with huge pages (at ten
million hashes that halves the query time against 4 KiB pages). Opening a snapshot maps the file
and reads the header: it costs well under a millisecond; `warm()` asks the kernel to read every
page in ahead of the first queries.

Arrays: the PDQ index (`hashes`, `dirs`, `packed`, `bitmaps`), each PDQ row's entry id and bank id, and for
MD5, SHA-1 and SHA-256 an exact lookup set (see `exact`).
"""

from __future__ import annotations

import json
import mmap
import os
import struct
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from mamoru.matching.exact import DIGEST_BYTES, ExactSet
from mamoru.matching.fastindex import Layout, MultiIndex
from mamoru.matching.index import Words

MAGIC = b"MAMORUIX"
FORMAT = 1
HEADER_BYTES = 4096
HUGE = 2 * 1024 * 1024
_MADV_POPULATE_READ = 22


class SnapshotError(Exception):
    """The file is not a snapshot this version of mamoru can read."""


@dataclass(frozen=True)
class SnapshotData:
    """What goes into a snapshot, as plain arrays (rows in any order)."""

    version: int
    pdq_hashes: Words
    pdq_entry_ids: npt.NDArray[np.int64]
    pdq_bank_ids: npt.NDArray[np.int32]
    exact: dict[str, ExactSet] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)


def _arrays(data: SnapshotData, index: MultiIndex) -> dict[str, npt.NDArray[Any]]:
    arrays: dict[str, npt.NDArray[Any]] = {
        "hashes": index.hashes, "dirs": index.dirs, "packed": index.packed,
        "bitmaps": index.bitmaps,
        "pdq_entry_ids": np.asarray(data.pdq_entry_ids, np.int64),
        "pdq_bank_ids": np.asarray(data.pdq_bank_ids, np.int32),
    }
    for signal in DIGEST_BYTES:
        s = data.exact.get(signal) or ExactSet.empty(signal)
        arrays |= {f"{signal}_digests": s.digests, f"{signal}_keys": s.keys,
                   f"{signal}_entry_ids": s.entry_ids, f"{signal}_bank_ids": s.bank_ids}
    return arrays


def write_snapshot(path: str | os.PathLike[str], data: SnapshotData,
                   index: MultiIndex | None = None) -> Path:
    """Build the index (unless given) and write the snapshot atomically to `path`."""
    n = len(data.pdq_hashes)
    if len(data.pdq_entry_ids) != n or len(data.pdq_bank_ids) != n:
        raise ValueError("one entry id and one bank id per PDQ hash")
    index = index or MultiIndex.build(data.pdq_hashes)
    arrays = _arrays(data, index)
    placed: dict[str, dict[str, Any]] = {}
    offset = HEADER_BYTES
    for name, arr in arrays.items():
        align = HUGE if arr.nbytes >= HUGE else 64
        offset = -(-offset // align) * align
        placed[name] = {"offset": offset, "dtype": arr.dtype.str, "shape": list(arr.shape)}
        offset += arr.nbytes
    header = {
        "format": FORMAT, "version": int(data.version),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "layout": {"size": index.layout.size, "dir_bits": index.layout.dir_bits,
                   "widths": list(index.layout.widths), "bitmap": index.layout.bitmap},
        "arrays": placed, "meta": data.meta,
    }
    blob = json.dumps(header, sort_keys=True).encode()
    if len(blob) + 16 > HEADER_BYTES:
        raise ValueError("snapshot metadata too large for the header")
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=".snapshot-", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(MAGIC + struct.pack("<II", FORMAT, len(blob)) + blob)
            for name, arr in arrays.items():
                if arr.size:
                    f.seek(placed[name]["offset"])
                    f.write(np.ascontiguousarray(arr).reshape(-1).view(np.uint8).data)
            f.truncate(max(offset, HEADER_BYTES))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


class Snapshot:
    """An opened, memory-mapped snapshot (read only; safe to share between threads)."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        with open(self.path, "rb") as f:
            head = f.read(HEADER_BYTES)
            if head[:8] != MAGIC:
                raise SnapshotError(f"{self.path}: not a mamoru index snapshot")
            fmt, length = struct.unpack("<II", head[8:16])
            if fmt != FORMAT:
                raise SnapshotError(f"{self.path}: snapshot format {fmt}, this mamoru reads {FORMAT}")
            self.header: dict[str, Any] = json.loads(head[16:16 + length])
            self._map = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)
        try:
            self._map.madvise(mmap.MADV_HUGEPAGE)
        except (AttributeError, OSError):  # pragma: no cover - kernels without THP for files
            pass
        lay = self.header["layout"]
        # Snapshots written before bitmaps existed have neither the flag nor the array.
        layout = Layout(lay["size"], lay["dir_bits"], tuple(lay["widths"]),
                        bool(lay.get("bitmap", False)))
        bitmaps = self._array("bitmaps") if "bitmaps" in self.header["arrays"] else None
        self.index = MultiIndex(self._array("hashes"), layout, self._array("dirs"),
                                self._array("packed"), bitmaps)
        self.pdq_entry_ids = self._array("pdq_entry_ids")
        self.pdq_bank_ids = self._array("pdq_bank_ids")
        self.exact = {s: ExactSet(s, self._array(f"{s}_digests"), self._array(f"{s}_keys"),
                                  self._array(f"{s}_entry_ids"), self._array(f"{s}_bank_ids"))
                      for s in DIGEST_BYTES}

    def _array(self, name: str) -> npt.NDArray[Any]:
        spec = self.header["arrays"][name]
        dtype = np.dtype(spec["dtype"])
        count = int(np.prod(spec["shape"], dtype=np.int64))
        arr = np.frombuffer(self._map, dtype=dtype, count=count, offset=spec["offset"])
        return arr.reshape(spec["shape"])

    @property
    def version(self) -> int:
        return int(self.header["version"])

    @property
    def meta(self) -> dict[str, Any]:
        return dict(self.header.get("meta", {}))

    def warm(self) -> None:
        """Read every page now rather than on the first queries."""
        try:
            self._map.madvise(_MADV_POPULATE_READ)
        except OSError:  # pragma: no cover - kernels before 5.14
            self._map.madvise(mmap.MADV_WILLNEED)
            bytes(memoryview(self._map)[::4096])

    def close(self) -> None:
        """Unmap now if no array from this snapshot is still referenced (else when collected)."""
        try:
            self._map.close()
        except BufferError:
            pass


def open_snapshot(path: str | os.PathLike[str], warm: bool = False) -> Snapshot:
    snap = Snapshot(path)
    if warm:
        snap.warm()
    return snap
