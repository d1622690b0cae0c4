"""Compiled loops of the multi-index: build by counting sort, probe, verify, brute-force scan.

Kept apart from `fastindex` so that the layout and planning logic stays plain, typed Python and the
Numba-compiled part is small. Measured need: at 10 million hashes one query issues about 2,800
directory probes and verifies about 3,000 candidates; in NumPy each step costs a call and a
temporary, in Numba the whole query is one loop that keeps about 20 cache misses in flight
(software prefetch between stages), about 0.1 ms. Integer types are kept explicit throughout: in
Numba a uint64 compared with an int64 is compared as float64, which once cost a quarter of the
query time.

Hashes are (N, 4) uint64 words (the 32 bytes of a PDQ hash read as native uint64); a chunk is a
bit field [start, start + width) of the 256 bits, width <= 32, which may cross a word boundary.
"""

from __future__ import annotations

from typing import Any

import numba as nb  # type: ignore[import-untyped]
import numpy as np
from llvmlite import ir  # type: ignore[import-untyped]
from numba import types
from numba.extending import intrinsic  # type: ignore[import-untyped]

_U64 = np.uint64


@intrinsic  # type: ignore[misc]
def _prefetch(typingctx: Any, arr: Any, idx: Any) -> Any:
    """Ask the CPU to fetch the cache line holding arr[idx] (1-D array) without waiting."""
    sig = types.void(arr, idx)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        ary = context.make_array(signature.args[0])(context, builder, args[0])
        ptr = builder.gep(ary.data, [args[1]])
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        mod = builder.module
        try:
            fn = mod.get_global("llvm.prefetch.p0")
        except KeyError:
            fn = ir.Function(mod, fnty, name="llvm.prefetch.p0")
        builder.call(fn, [builder.bitcast(ptr, i8p), ir.Constant(i32, 0), ir.Constant(i32, 3),
                          ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return sig, codegen


@nb.njit(cache=True, inline="always")  # type: ignore[misc]
def _popcount(x: Any) -> Any:
    x = x - ((x >> _U64(1)) & _U64(0x5555555555555555))
    x = (x & _U64(0x3333333333333333)) + ((x >> _U64(2)) & _U64(0x3333333333333333))
    x = (x + (x >> _U64(4))) & _U64(0x0F0F0F0F0F0F0F0F)
    return (x * _U64(0x0101010101010101)) >> _U64(56)


@nb.njit(cache=True, inline="always")  # type: ignore[misc]
def _chunk(h0: Any, h1: Any, h2: Any, h3: Any, start: Any, width: Any) -> Any:
    word = start >> 6
    off = start & 63
    if word == 0:
        a, b = h0, h1
    elif word == 1:
        a, b = h1, h2
    elif word == 2:
        a, b = h2, h3
    else:
        a, b = h3, _U64(0)
    v = a >> _U64(off)
    if off + width > 64:
        v |= b << _U64(64 - off)
    return np.uint32(v & _U64((1 << width) - 1))


@nb.njit(cache=True)  # type: ignore[misc]
def build_table(hashes: Any, start: int, width: int, dir_bits: int, dirs: Any, packed: Any) -> None:
    """Counting sort of all rows by one chunk: `dirs` gets bucket offsets (2**dir_bits + 1),
    `packed` gets (row << suffix_bits) | low suffix bits of the chunk, grouped by bucket."""
    n = hashes.shape[0]
    sb = width - dir_bits
    smask = np.uint32((1 << sb) - 1)
    keys = np.empty(n, np.uint32)
    for i in range(n):
        keys[i] = _chunk(hashes[i, 0], hashes[i, 1], hashes[i, 2], hashes[i, 3], start, width)
    dirs[:] = 0
    for i in range(n):
        dirs[(keys[i] >> sb) + 1] += 1
    for b in range(dirs.shape[0] - 1):
        dirs[b + 1] += dirs[b]
    pos = dirs[:-1].copy()
    for i in range(n):
        b = keys[i] >> sb
        p = pos[b]
        pos[b] = p + 1
        packed[p] = (np.uint32(i) << np.uint32(sb)) | (keys[i] & smask)


@nb.njit(cache=True)  # type: ignore[misc]
def build_bitmap(hashes: Any, start: int, width: int, bitmap: Any) -> None:
    """Set bit v of `bitmap` (2**width bits) for every chunk value v present."""
    bitmap[:] = 0
    for i in range(hashes.shape[0]):
        v = _chunk(hashes[i, 0], hashes[i, 1], hashes[i, 2], hashes[i, 3], start, width)
        bitmap[v >> np.uint32(3)] |= np.uint8(1 << (v & np.uint32(7)))


@nb.njit(cache=True, inline="always")  # type: ignore[misc]
def _slots(q: Any, starts: Any, widths: Any, sbs: Any, radii: Any, dir_base: Any, dirs: Any,
           mask_base: Any, mask_len: Any, masks: Any, s_lo: Any) -> None:
    """Stage 1: every bucket's directory slot, into s_lo; prefetch them all."""
    q0, q1, q2, q3 = q[0], q[1], q[2], q[3]
    p = 0
    for t in range(starts.shape[0]):
        if radii[t] < 0:
            continue
        qh = np.int64(_chunk(q0, q1, q2, q3, starts[t], widths[t]) >> np.uint32(sbs[t]))
        db = np.int64(dir_base[t])
        for i in range(mask_base[t], mask_base[t] + mask_len[t]):
            b = db + (qh ^ np.int64(masks[i]))
            _prefetch(dirs, b)
            s_lo[p] = b
            p += 1


@nb.njit(cache=True, inline="always")  # type: ignore[misc]
def _bounds(n: Any, radii: Any, mask_len: Any, dirs: Any, packed: Any, s_lo: Any,
            s_hi: Any) -> None:
    """Stage 2: each bucket's entry range in `packed`; prefetch the first entries."""
    p = 0
    for t in range(radii.shape[0]):
        if radii[t] < 0:
            continue
        base = np.int64(t) * n
        for _ in range(mask_len[t]):
            b = s_lo[p]
            lo = np.int64(dirs[b])
            s_lo[p] = base + lo
            s_hi[p] = base + np.int64(dirs[b + 1])
            _prefetch(packed, base + lo)
            p += 1


@nb.njit(cache=True, inline="always")  # type: ignore[misc]
def _candidates(hflat: Any, q: Any, starts: Any, widths: Any, sbs: Any, radii: Any, packed: Any,
                mask_base: Any, mask_len: Any, mask_weight: Any, s_lo: Any, s_hi: Any,
                cand_row: Any, cand_tab: Any) -> Any:
    """Stage 3: entries whose suffix is near enough, into cand_*; prefetch their hashes.
    Returns how many there are (more than len(cand_row): only that many stored)."""
    q0, q1, q2, q3 = q[0], q[1], q[2], q[3]
    nc = 0
    cap = cand_row.shape[0]
    p = 0
    for t in range(starts.shape[0]):
        if radii[t] < 0:
            continue
        sb = np.uint32(sbs[t])
        smask = np.uint32((1 << sbs[t]) - 1)
        qs = _chunk(q0, q1, q2, q3, starts[t], widths[t]) & smask
        r = np.int64(radii[t])
        for i in range(mask_base[t], mask_base[t] + mask_len[t]):
            left = _U64(r - mask_weight[i])
            for j in range(s_lo[p], s_hi[p]):
                v = packed[j]
                if _popcount(_U64((v ^ qs) & smask)) <= left:
                    if nc < cap:
                        row = np.int64(v >> sb)
                        cand_row[nc] = row
                        cand_tab[nc] = t
                        _prefetch(hflat, row * 4)
                    nc += 1
            p += 1
    return nc


@nb.njit(cache=True, inline="always")  # type: ignore[misc]
def _verify(hashes: Any, q: Any, d: Any, radii: Any, chunkmasks: Any, cand_row: Any,
            cand_tab: Any, nc: Any, out_rows: Any, out_d: Any) -> Any:
    """Stage 4: the candidates within d, each reported only from the first table whose radius
    covers it, nearest first (ties by row). Returns how many (beyond len(out_rows): counted, not
    stored, nor sorted)."""
    q0, q1, q2, q3 = q[0], q[1], q[2], q[3]
    found = 0
    ud = _U64(d)
    for c in range(nc):
        row = cand_row[c]
        x0 = hashes[row, 0] ^ q0
        x1 = hashes[row, 1] ^ q1
        x2 = hashes[row, 2] ^ q2
        x3 = hashes[row, 3] ^ q3
        dist = _popcount(x0) + _popcount(x1) + _popcount(x2) + _popcount(x3)
        if dist <= ud:
            t = cand_tab[c]
            earlier = False
            for u in range(t):
                if radii[u] >= 0:
                    cd = (_popcount(x0 & chunkmasks[u, 0]) + _popcount(x1 & chunkmasks[u, 1])
                          + _popcount(x2 & chunkmasks[u, 2]) + _popcount(x3 & chunkmasks[u, 3]))
                    if cd <= _U64(radii[u]):
                        earlier = True
                        break
            if not earlier:
                if found < out_rows.shape[0]:
                    out_rows[found] = row
                    out_d[found] = np.int32(dist)
                found += 1
    # Insertion sort: answers are short (a dense cluster's few thousand rows: a few ms).
    kept = min(found, out_rows.shape[0])
    for a in range(1, kept):
        rv = out_rows[a]
        dv = out_d[a]
        z = a - 1
        while z >= 0 and (out_d[z] > dv or (out_d[z] == dv and out_rows[z] > rv)):
            out_rows[z + 1] = out_rows[z]
            out_d[z + 1] = out_d[z]
            z -= 1
        out_rows[z + 1] = rv
        out_d[z + 1] = dv
    return found


@nb.njit(cache=True, inline="always")  # type: ignore[misc]
def _present(q: Any, starts: Any, widths: Any, sbs: Any, radii: Any, dir_base: Any, dirs: Any,
             mask_base: Any, mask_len: Any, masks: Any, bitmaps: Any, bm_base: Any, s_lo: Any,
             s_val: Any, s_tab: Any) -> Any:
    """Stages 1a and 1b of the bitmap path: every chunk value within the radius (prefetching its
    bitmap byte), then only the values present in the bank get a directory slot (prefetched);
    s_lo gets the slot, s_val the value's suffix bits, s_tab its table. Returns how many."""
    q0, q1, q2, q3 = q[0], q[1], q[2], q[3]
    p = 0
    for t in range(starts.shape[0]):
        if radii[t] < 0:
            continue
        qk = _chunk(q0, q1, q2, q3, starts[t], widths[t])
        bb = np.int64(bm_base[t])
        for i in range(mask_base[t], mask_base[t] + mask_len[t]):
            v = qk ^ masks[i]
            _prefetch(bitmaps, bb + np.int64(v >> np.uint32(3)))
            s_val[p] = v
            p += 1
    p = 0
    kept = 0
    for t in range(starts.shape[0]):
        if radii[t] < 0:
            continue
        bb = np.int64(bm_base[t])
        sb = np.uint32(sbs[t])
        smask = np.uint32((1 << sbs[t]) - 1)
        db = np.int64(dir_base[t])
        for _ in range(mask_len[t]):
            v = s_val[p]
            p += 1
            if (bitmaps[bb + np.int64(v >> np.uint32(3))] >> np.uint8(v & np.uint32(7))) & np.uint8(1):
                b = db + np.int64(v >> sb)
                _prefetch(dirs, b)
                s_lo[kept] = b
                s_val[kept] = v & smask
                s_tab[kept] = t
                kept += 1
    return kept


@nb.njit(cache=True, inline="always")  # type: ignore[misc]
def _bounds_listed(n: Any, dirs: Any, packed: Any, s_lo: Any, s_hi: Any, s_tab: Any,
                   nprobe: Any) -> None:
    """Stage 2 of the bitmap path: each listed bucket's entry range; prefetch its first entries."""
    for p in range(nprobe):
        b = s_lo[p]
        base = np.int64(s_tab[p]) * n
        lo = base + np.int64(dirs[b])
        s_lo[p] = lo
        s_hi[p] = base + np.int64(dirs[b + 1])
        _prefetch(packed, lo)


@nb.njit(cache=True, inline="always")  # type: ignore[misc]
def _candidates_exact(hflat: Any, sbs: Any, packed: Any, s_lo: Any, s_hi: Any, s_val: Any,
                      s_tab: Any, nprobe: Any, cand_row: Any, cand_tab: Any) -> Any:
    """Stage 3 of the bitmap path: the entries holding exactly the listed chunk value."""
    nc = 0
    cap = cand_row.shape[0]
    for p in range(nprobe):
        t = s_tab[p]
        sb = np.uint32(sbs[t])
        smask = np.uint32((1 << sbs[t]) - 1)
        want = s_val[p]
        for j in range(s_lo[p], s_hi[p]):
            v = packed[j]
            if (v & smask) == want:
                if nc < cap:
                    row = np.int64(v >> sb)
                    cand_row[nc] = row
                    cand_tab[nc] = t
                    _prefetch(hflat, row * 4)
                nc += 1
    return nc


@nb.njit(cache=True, nogil=True)  # type: ignore[misc]
def query_one(hashes: Any, q: Any, d: int, starts: Any, widths: Any, sbs: Any, radii: Any,
              dir_base: Any, dirs: Any, packed: Any, mask_base: Any, mask_len: Any, masks: Any,
              mask_weight: Any, chunkmasks: Any, bitmaps: Any, bm_base: Any, out_rows: Any,
              out_d: Any, s_lo: Any, s_hi: Any, s_val: Any, s_tab: Any, cand_row: Any,
              cand_tab: Any) -> Any:
    """All rows within distance d of q, each once, nearest first (ties by row). Returns the
    number found (rows beyond len(out_rows) are counted, not stored), or -needed when cand_row is
    too small.

    Without bitmaps, per probed chunk t (radius r), `masks` holds every flip of the directory's
    dir_bits with weight a <= r: each names one bucket, read once, whose entries are candidates
    when their suffix bits differ from the query's in at most r - a bits. With bitmaps (one bit
    per chunk value: is it in the bank?), `masks` holds every flip of the whole chunk within r,
    and only the values present are looked up. The stages each run over all buckets (or
    candidates) before the next, so that the prefetches of one stage are in flight together."""
    n = np.int64(hashes.shape[0])
    hflat = hashes.reshape(n * 4)
    if bitmaps.shape[0] > 0:
        nprobe = _present(q, starts, widths, sbs, radii, dir_base, dirs, mask_base, mask_len,
                          masks, bitmaps, bm_base, s_lo, s_val, s_tab)
        _bounds_listed(n, dirs, packed, s_lo, s_hi, s_tab, nprobe)
        nc = _candidates_exact(hflat, sbs, packed, s_lo, s_hi, s_val, s_tab, nprobe, cand_row,
                               cand_tab)
    else:
        _slots(q, starts, widths, sbs, radii, dir_base, dirs, mask_base, mask_len, masks, s_lo)
        _bounds(n, radii, mask_len, dirs, packed, s_lo, s_hi)
        nc = _candidates(hflat, q, starts, widths, sbs, radii, packed, mask_base, mask_len,
                         mask_weight, s_lo, s_hi, cand_row, cand_tab)
    if nc > cand_row.shape[0]:
        return -nc
    return _verify(hashes, q, d, radii, chunkmasks, cand_row, cand_tab, nc, out_rows, out_d)


@nb.njit(cache=True, parallel=True)  # type: ignore[misc]
def query_many(hashes: Any, qs: Any, d: int, starts: Any, widths: Any, sbs: Any, radii: Any,
               dir_base: Any, dirs: Any, packed: Any, mask_base: Any, mask_len: Any, masks: Any,
               mask_weight: Any, chunkmasks: Any, bitmaps: Any, bm_base: Any, per_query: int,
               cand_cap: int, blocks: int) -> Any:
    """Queries split into `blocks` runs done in parallel. Up to per_query results per query;
    counts[i] is the true number, or -1 when the candidate scratch was too small (redo alone).
    (Taking two to sixteen queries of a run through each stage together, for more cache misses
    in flight, was measured no faster at a million hashes.)"""
    nq = qs.shape[0]
    rows = np.empty((nq, per_query), np.int64)
    dists = np.empty((nq, per_query), np.int32)
    counts = np.empty(nq, np.int64)
    nprobe = mask_len.sum()
    for blk in nb.prange(blocks):
        s_lo = np.empty(nprobe, np.int64)
        s_hi = np.empty(nprobe, np.int64)
        s_val = np.empty(nprobe, np.uint32)
        s_tab = np.empty(nprobe, np.int64)
        cand_row = np.empty(cand_cap, np.uint32)
        cand_tab = np.empty(cand_cap, np.int64)
        out_r = np.empty(per_query, np.uint32)
        out_d = np.empty(per_query, np.int32)
        for i in range(blk * nq // blocks, (blk + 1) * nq // blocks):
            c = query_one(hashes, qs[i], d, starts, widths, sbs, radii, dir_base, dirs, packed,
                          mask_base, mask_len, masks, mask_weight, chunkmasks, bitmaps,
                          bm_base, out_r, out_d, s_lo, s_hi, s_val, s_tab, cand_row, cand_tab)
            counts[i] = c if c >= 0 else -1
            for k in range(min(max(c, 0), per_query)):
                rows[i, k] = out_r[k]
                dists[i, k] = out_d[k]
    return rows, dists, counts


@nb.njit(cache=True, parallel=True)  # type: ignore[misc]
def scan_distances(hashes: Any, q: Any) -> Any:
    """Distance from q to every row (uint16), both cores: the exhaustive path for wide radii."""
    n = hashes.shape[0]
    out = np.empty(n, np.uint16)
    for i in nb.prange(n):
        out[i] = (_popcount(hashes[i, 0] ^ q[0]) + _popcount(hashes[i, 1] ^ q[1])
                  + _popcount(hashes[i, 2] ^ q[2]) + _popcount(hashes[i, 3] ^ q[3]))
    return out
