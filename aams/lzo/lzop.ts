// lzop.ts: the lzop file container around LZO1X blocks: the file header and the blocks, written
// and read one at a time, checksums made and verified as the header's flags say. Owns: the byte
// layout below and its checks. Not: LZO1X itself (lzo1x.ts), streams (the caller keeps its place
// in the file; stream.ts does it for the usual case), the machine's handlers (lzo.ts).
// Also the two checksums the files carry (end of the file).
//
// File header (all integers big-endian; fields marked * only when version >= 0x0940):
//   0  89 4c 5a 4f 00 0d 0a 1a 0a        magic
//   9  version u16, lib_version u16, version_needed u16*, method u8, level u8*, flags u32,
//      filter u32 (only with F_H_FILTER), mode u32, mtime_low u32, mtime_high u32*,
//      name_len u8, name[name_len],
//      checksum u32 of everything from offset 9 up to here: Adler-32, or CRC-32 with F_H_CRC32
//      (with F_H_EXTRA_FIELD: len u32, len bytes, and their checksum u32 follow)
// Block:
//   dst_len u32 (uncompressed size; 0 ends the file), src_len u32 (stored when == dst_len),
//   Adler-32 of the uncompressed data (F_ADLER32_D), CRC-32 of it (F_CRC32_D),
//   when src_len < dst_len: Adler-32 of the compressed data (F_ADLER32_C), CRC-32 (F_CRC32_C),
//   src_len bytes of data.

import { heapAlloc, heapFree } from "aam";
import { LzopHeader, LzopBlock } from "./lzo_igen_client";
import { lzo1xBound, lzo1xCompress, lzo1xDecompress, LZO1X_SCRATCH, msg, failWith } from "./lzo1x";

export const F_ADLER32_D: u32 = 0x1, F_ADLER32_C: u32 = 0x2, F_STDIN: u32 = 0x4, F_STDOUT: u32 = 0x8;
export const F_H_EXTRA_FIELD: u32 = 0x40, F_CRC32_D: u32 = 0x100, F_CRC32_C: u32 = 0x200;
export const F_MULTIPART: u32 = 0x400, F_H_FILTER: u32 = 0x800, F_H_CRC32: u32 = 0x1000;
export const F_OS_UNIX: u32 = 0x03000000;
/** What lzop 1.04 writes: version, library version, oldest reader; method LZO1X-1 at level 5. */
export const LZOP_VERSION: u16 = 0x1040, LZOP_LIB_VERSION: u16 = 0x20a0, LZOP_NEEDED: u16 = 0x0940;
export const LZOP_METHOD_LZO1X_1: u8 = 1, LZOP_LEVEL: u8 = 5;
export const LZOP_BLOCK_SIZE: u32 = 256 * 1024;
export const LZOP_MAX_BLOCK: u32 = 64 * 1024 * 1024;
/** Most bytes header_write writes (name of 255 bytes). */
export const LZOP_HEADER_MAX: u32 = 34 + 255 + 4;

/** Bytes block_write may write for a block of n bytes. */
export function lzopBlockBound(n: u32): u32 { return 24 + lzo1xBound(n); }

const NEW_LAYOUT: u16 = 0x0940;      // the version that added version_needed, level, mtime_high

@inline function be32(p: usize): u32 { return bswap<u32>(load<u32>(p)); }
@inline function putBe32(p: usize, v: u32): void { store<u32>(p, bswap<u32>(v)); }
@inline function be16(p: usize): u16 { return bswap<u16>(load<u16>(p)); }
@inline function putBe16(p: usize, v: u16): void { store<u16>(p, bswap<u16>(v)); }

function isMagic(p: usize, n: u32): bool {
  let magic: u64 = 0x0a1a0a0d004f5a4c;          // bytes 1..8 read little-endian
  if (n >= 1 && load<u8>(p) != 0x89) return false;
  for (let i: u32 = 1; i < 9 && i < n; i++) if (load<u8>(p + i) != <u8>(magic >> ((i - 1) << 3))) return false;
  return true;
}

function headerSum(flags: u32, p: usize, n: u32): u32 {
  return flags & F_H_CRC32 ? crc32(CRC32_INIT, p, n) : adler32(ADLER32_INIT, p, n);
}

// ── the file header ───────────────────────────────────────────────────────────────────────────

/** Writes the header h describes into dst[0..cap); returns its length. */
export function headerWrite(h: LzopHeader, dst: usize, cap: u32): u32 {
  let flags = h.flags;
  if (h.version < NEW_LAYOUT) failWith(msg("lzop: header_write: version 0x").hex(h.version).s(" is older than 0x0940, whose layout this writes"));
  if (h.method < 1 || h.method > 3) failWith(msg("lzop: header_write: method ").dec(h.method).s(" is not LZO1X (1, 2 or 3)"));
  if (flags & (F_H_FILTER | F_H_EXTRA_FIELD | F_MULTIPART)) failWith(msg("lzop: header_write: flags 0x").hex(flags).s(" ask for a filter, extra field or multipart file, which this writer does not make"));
  let size: u32 = 38 + <u32>h.name_len;             // 34 bytes before the name, 4 after
  if (cap < size) failWith(msg("lzop: header_write: ").dec(size).s(" bytes do not fit the buffer of ").dec(cap));
  store<u64>(dst, 0x1a0a0d004f5a4c89);          // the magic, bytes 0..7 little-endian
  store<u8>(dst + 8, 0x0a);
  putBe16(dst + 9, h.version);
  putBe16(dst + 11, h.lib_version);
  putBe16(dst + 13, h.version_needed);
  store<u8>(dst + 15, h.method);
  store<u8>(dst + 16, h.level);
  putBe32(dst + 17, flags);
  putBe32(dst + 21, h.mode);
  putBe32(dst + 25, <u32>h.mtime);
  putBe32(dst + 29, <u32>(h.mtime >> 32));
  store<u8>(dst + 33, h.name_len);
  memory.copy(dst + 34, h.name, h.name_len);
  let end = 34 + <u32>h.name_len;
  putBe32(dst + end, headerSum(flags, dst + 9, end - 9));
  return size;
}

/** Reads the header at the start of src[0..n) into h; returns its length, or 0 with h.size = the
 *  bytes needed when n is too short. Fails on a header lzop would refuse or this cannot read. */
export function headerRead(src: usize, n: u32, h: LzopHeader): u32 {
  if (!isMagic(src, n)) failWith(msg("lzop: not an lzop file: bad magic at offset 0"));
  let need: u32 = 9 + 2;
  if (n < need) return more(h, need);
  let version = be16(src + 9), modern = version >= NEW_LAYOUT;
  if (version < 0x0900) failWith(msg("lzop: header at offset 9: version 0x").hex(version).s(" is older than any lzop release"));
  need = 9 + 4 + (modern ? 2 : 0) + 1 + (modern ? 1 : 0) + 4;
  if (n < need) return more(h, need);
  let flags = be32(src + need - 4);
  let p = need;
  need += (flags & F_H_FILTER ? 4 : 0) + 8 + (modern ? 4 : 0) + 1;
  if (n < need) return more(h, need);
  let nameLen = <u32>load<u8>(src + need - 1);
  let sumAt = need + nameLen;
  need = sumAt + 4;
  if (n < need) return more(h, need);
  let extraAt = need;
  if (flags & F_H_EXTRA_FIELD) {
    need += 4;
    if (n < need) return more(h, need);
    let extra = be32(src + extraAt);
    if (extra > 0x1000000) failWith(msg("lzop: header at offset ").dec(extraAt).s(": extra field of ").dec(extra).s(" bytes"));
    need += extra + 4;
    if (n < need) return more(h, need);
  }
  // Every byte is here: check, then fill h.
  let stored = be32(src + sumAt), sum = headerSum(flags, src + 9, sumAt - 9);
  if (stored != sum) failWith(msg("lzop: header checksum mismatch at offset ").dec(sumAt).s(": stored 0x").hex(stored).s(", computed 0x").hex(sum));
  if (flags & F_H_EXTRA_FIELD) {
    let len = be32(src + extraAt), at = extraAt + 4 + len;
    let es = be32(src + at), ec = headerSum(flags, src + extraAt, 4 + len);
    if (es != ec) failWith(msg("lzop: extra field checksum mismatch at offset ").dec(at).s(": stored 0x").hex(es).s(", computed 0x").hex(ec));
  }
  h.version = version;
  h.lib_version = be16(src + 11);
  h.version_needed = modern ? be16(src + 13) : version;
  let q: usize = src + (modern ? 15 : 13);
  h.method = load<u8>(q);
  h.level = modern ? load<u8>(q + 1) : 0;
  h.flags = flags;
  q = src + p;
  h.filter = 0;
  if (flags & F_H_FILTER) { h.filter = be32(q); q += 4; }
  h.mode = be32(q);
  h.mtime = <u64>be32(q + 4) | (modern ? <u64>be32(q + 8) << 32 : 0);
  h.name_len = <u8>nameLen;
  memory.copy(h.name, src + sumAt - nameLen, nameLen);
  h.size = need;
  if (h.version_needed > LZOP_VERSION) failWith(msg("lzop: header at offset 13: the file needs lzop 0x").hex(h.version_needed).s(" to extract (this reads what 0x1040 reads)"));
  if (h.method < 1 || h.method > 3) failWith(msg("lzop: header at offset ").s(modern ? "15" : "13").s(": method ").dec(h.method).s(" is not LZO1X (1, 2 or 3): not supported"));
  if (h.filter != 0) failWith(msg("lzop: header at offset ").dec(p).s(": filter ").dec(h.filter).s(" is not supported"));
  if (flags & F_MULTIPART) failWith(msg("lzop: header at offset ").dec(p - 4).s(": multipart files are not supported"));
  return need;
}

function more(h: LzopHeader, need: u32): u32 { h.size = need; return 0; }

// ── blocks ────────────────────────────────────────────────────────────────────────────────────

/** Writes one block of src[0..n) (n == 0: the end marker) into dst[0..cap) with the checksums
 *  flags asks for; stored when compression does not make it smaller. Returns its length. */
export function blockWrite(src: usize, n: u32, flags: u32, dst: usize, cap: u32): u32 {
  if (n == 0) {
    if (cap < 4) failWith(msg("lzop: block_write: the end marker needs 4 bytes, the buffer has ").dec(cap));
    store<u32>(dst, 0);
    return 4;
  }
  if (n > LZOP_MAX_BLOCK) failWith(msg("lzop: block_write: a block of ").dec(n).s(" bytes is over lzop's limit of ").dec(LZOP_MAX_BLOCK));
  if (cap < lzopBlockBound(n)) failWith(msg("lzop: block_write: the buffer of ").dec(cap).s(" bytes is under the ").dec(lzopBlockBound(n)).s(" a block of ").dec(n).s(" may need"));
  let hd: u32 = 8, hc: u32 = 0;
  putBe32(dst, n);
  if (flags & F_ADLER32_D) { putBe32(dst + hd, adler32(ADLER32_INIT, src, n)); hd += 4; }
  if (flags & F_CRC32_D) { putBe32(dst + hd, crc32(CRC32_INIT, src, n)); hd += 4; }
  if (flags & F_ADLER32_C) hc += 4;
  if (flags & F_CRC32_C) hc += 4;
  let table = heapAlloc(LZO1X_SCRATCH);
  let data = dst + hd + hc;
  let clen = lzo1xCompress(src, n, data, table);
  heapFree(table);
  if (clen >= n) {                                   // stored: no compressed-data checksums
    putBe32(dst + 4, n);
    memory.copy(dst + hd, src, n);
    return hd + n;
  }
  putBe32(dst + 4, clen);
  let c = dst + hd;
  if (flags & F_ADLER32_C) { putBe32(c, adler32(ADLER32_INIT, data, clen)); c += 4; }
  if (flags & F_CRC32_C) putBe32(c, crc32(CRC32_INIT, data, clen));
  return hd + hc + clen;
}

function check(what: string, at: u64, stored: u32, computed: u32): void {
  if (stored != computed) failWith(msg("lzop: ").s(what).s(" checksum mismatch in the block at offset ").dec(at).s(": stored 0x").hex(stored).s(", computed 0x").hex(computed));
}

/** Reads the block at the start of src[0..n) (at: its offset in the file) into dst[0..cap) and
 *  says in b what it did; see struct lzop_block in lzo.idl. */
export function blockRead(src: usize, n: u32, flags: u32, at: u64, dst: usize, cap: u32, b: LzopBlock): void {
  b.consumed = 0; b.produced = 0; b.need = 0; b.dst_need = 0; b.end = false;
  if (n < 4) { b.need = 4; return; }
  let dlen = be32(src);
  if (dlen == 0) { b.consumed = 4; b.end = true; return; }
  if (dlen == 0xffffffff) failWith(msg("lzop: block at offset ").dec(at).s(": a split file (size 0xffffffff) is not supported"));
  if (dlen > LZOP_MAX_BLOCK) failWith(msg("lzop: block at offset ").dec(at).s(": uncompressed size ").dec(dlen).s(" is over lzop's limit of ").dec(LZOP_MAX_BLOCK));
  if (n < 8) { b.need = 8; return; }
  let clen = be32(src + 4);
  if (clen == 0 || clen > dlen) failWith(msg("lzop: block at offset ").dec(at).s(": compressed size ").dec(clen).s(" for ").dec(dlen).s(" bytes (must be 1..").dec(dlen).s(")"));
  let hd: u32 = 8 + (flags & F_ADLER32_D ? 4 : 0) + (flags & F_CRC32_D ? 4 : 0);
  let hc: u32 = clen < dlen ? (flags & F_ADLER32_C ? 4 : 0) + (flags & F_CRC32_C ? 4 : 0) : 0;
  let total = hd + hc + clen;                        // <= 8 + 16 + 64 MiB: no overflow
  if (n < total) { b.need = total; return; }
  if (cap < dlen) { b.dst_need = dlen; return; }
  let data = src + hd + hc;
  if (clen < dlen) {
    let c = src + hd;
    if (flags & F_ADLER32_C) { check("Adler-32 (compressed data)", at, be32(c), adler32(ADLER32_INIT, data, clen)); c += 4; }
    if (flags & F_CRC32_C) check("CRC-32 (compressed data)", at, be32(c), crc32(CRC32_INIT, data, clen));
    let got = lzo1xDecompress(data, clen, dst, dlen, at + hd + hc);
    if (got != dlen) failWith(msg("lzop: block at offset ").dec(at).s(": decompresses to ").dec(got).s(" bytes, its header says ").dec(dlen));
  } else memory.copy(dst, data, dlen);
  let d = src + 8;
  if (flags & F_ADLER32_D) { check("Adler-32 (uncompressed data)", at, be32(d), adler32(ADLER32_INIT, dst, dlen)); d += 4; }
  if (flags & F_CRC32_D) check("CRC-32 (uncompressed data)", at, be32(d), crc32(CRC32_INIT, dst, dlen));
  b.consumed = total;
  b.produced = dlen;
}

// ── checksums ─────────────────────────────────────────────────────────────────────────────────
// Adler-32 (RFC 1950, starts at 1) and CRC-32 (the IEEE polynomial of zlib and gzip, reflected,
// starts at 0). Both take a running value so a buffer can be summed in pieces.

export const ADLER32_INIT: u32 = 1;
export const CRC32_INIT: u32 = 0;

const ADLER_MOD: u32 = 65521;
const ADLER_NMAX: u32 = 5552;       // most bytes before the 32-bit sums must be reduced

export function adler32(a: u32, p: usize, n: u32): u32 {
  let s1 = a & 0xffff, s2 = a >> 16;
  while (n > 0) {
    let k = n < ADLER_NMAX ? n : ADLER_NMAX;
    n -= k;
    let end = p + k;
    while (p + 4 <= end) {
      s1 += <u32>load<u8>(p); s2 += s1;
      s1 += <u32>load<u8>(p, 1); s2 += s1;
      s1 += <u32>load<u8>(p, 2); s2 += s1;
      s1 += <u32>load<u8>(p, 3); s2 += s1;
      p += 4;
    }
    while (p < end) { s1 += <u32>load<u8>(p++); s2 += s1; }
    s1 %= ADLER_MOD;
    s2 %= ADLER_MOD;
  }
  return (s2 << 16) | s1;
}

// 256 entries in static data, shared by every core. Each core fills it once before its first use;
// two cores filling it at once write the same values, so a reader never sees a wrong one.
const CRC_TABLE = memory.data(256 * 4, 4);
let crcReady = false;               // per core

function crcTable(): usize {
  if (!crcReady) {
    for (let i: u32 = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
      store<u32>(CRC_TABLE + (<usize>i << 2), c);
    }
    crcReady = true;
  }
  return CRC_TABLE;
}

export function crc32(crc: u32, p: usize, n: u32): u32 {
  let t = crcTable();
  let c = ~crc;
  let end = p + n;
  while (p < end) c = load<u32>(t + (<usize>((c ^ <u32>load<u8>(p++)) & 0xff) << 2)) ^ (c >> 8);
  return ~c;
}
