// lzo1x.ts: the LZO1X format: a greedy LZO1X-1 style compressor and a decompressor of any valid
// LZO1X stream (LZO1X-1, -1(15), -999: they differ in how they search, not in what they write).
// Owns: the instruction encoding, both directions, and every bounds check of the decoder. Not:
// the lzop container (lzop.ts), the machine (lzo.ts). Written from the description of the stream
// format (README.md, "How it was derived"), not from the LZO library's code.
//
// A stream is a sequence of instructions. Each one copies a match from the output already made
// and then 0..3 literals (its S bits), or copies a run of literals. What an opcode below 16 means
// depends on STATE, the literals the previous instruction copied (4: a run of 4 or more):
//
//   first byte 18..255        (b-17) literals; STATE = min(b-17, 4). Else read as below.
//   0000LLLL         STATE 0  run of 3+L literals (L 0: 18 + extension); STATE = 4
//   0000DDSS H       STATE 1-3 match of 2 at distance (H<<2)+D+1
//   0000DDSS H       STATE 4  match of 3 at distance (H<<2)+D+2049
//   0001HLLL DDDDDDSS DDDDDDDD   (LE16) match of 2+L (L 0: 9 + ext) at 16384+(H<<14)+D;
//                                distance 16384 exactly is the end marker (11 00 00)
//   001LLLLL DDDDDDSS DDDDDDDD   (LE16) match of 2+L (L 0: 33 + ext) at D+1 (up to 16 KiB)
//   01LDDDSS H                   match of 3+L at (H<<3)+D+1 (up to 2 KiB)
//   1LLDDDSS H                   match of 5+L at (H<<3)+D+1
//
// A length extension is zero bytes worth 255 each, then one non-zero byte added.
// S (0..3) literals follow the instruction's operand bytes; STATE = S.

import { Text, text, failOwned } from "aam";

/** Starts a call's error message: `failWith(msg("lzo: ").s("what").dec(n))` (lzo.ts says why). */
export function msg(first: string): Text { return text(first); }

/** Fails the running call with the message `t` (and never returns). */
export function failWith(t: Text): void { failOwned(t.done()); }

/** Bytes lzo1xCompress may write for n input bytes (all literals, plus run headers and the end). */
export function lzo1xBound(n: u32): u32 { return n + (n >> 4) + 67; }

const HASH_BITS: u32 = 14;
/** Bytes of scratch lzo1xCompress needs (its hash table of positions). */
export const LZO1X_SCRATCH: u32 = 4 << HASH_BITS;
const M2_MAX_LEN: u32 = 8, M2_MAX_DIST: u32 = 2048, M3_MAX_DIST: u32 = 16384, M4_MAX_DIST: u32 = 49151;

// ── compression ───────────────────────────────────────────────────────────────────────────────
// Greedy: a 4-byte hash finds the most recent position with the same 4 bytes; a match found is
// extended forward and taken whole. Matches are 4 bytes or longer, so the decoder's 2- and 3-byte
// forms (opcodes 0..15 after literals) are never written: an opcode below 16 is always a run.

/** Where the S bits of the last match went (per core: compression never blocks). */
let sBits: usize = 0;

/** Compresses src[0..n) into dst (cap >= lzo1xBound(n), checked by the caller), using
 *  LZO1X_SCRATCH bytes at table. Returns the stream's length. */
export function lzo1xCompress(src: usize, n: u32, dst: usize, table: usize): u32 {
  memory.fill(table, 0, LZO1X_SCRATCH);           // deterministic output whatever the scratch held
  let op = dst, anchor: u32 = 0, ip: u32 = 0;
  sBits = 0;
  if (n >= 8) {
    let last = n - 4;                               // a 4-byte load at ip stays inside src
    while (ip <= last) {
      let v = load<u32>(src + ip);
      let slot = table + ((v * 0x9E3779B1) >> (32 - HASH_BITS) << 2);
      let cand = load<u32>(slot);                   // position + 1; 0 is empty
      store<u32>(slot, ip + 1);
      if (cand != 0 && ip - (cand - 1) <= M4_MAX_DIST && load<u32>(src + cand - 1) == v) {
        let c = cand - 1, len: u32 = 4;
        while (true) {                              // 4 bytes at a time, near the end 1
          if (ip + len + 4 > n) {
            while (ip + len < n && load<u8>(src + c + len) == load<u8>(src + ip + len)) len++;
            break;
          }
          let x = load<u32>(src + c + len) ^ load<u32>(src + ip + len);
          if (x != 0) { len += ctz(x) >> 3; break; }
          len += 4;
        }
        op = putLiterals(op, dst, src + anchor, ip - anchor);
        op = putMatch(op, ip - c, len);
        ip += len;
        anchor = ip;
        if (ip <= last) store<u32>(table + ((load<u32>(src + ip - 1) * 0x9E3779B1) >> (32 - HASH_BITS) << 2), ip);
        continue;
      }
      ip += 1 + ((ip - anchor) >> 6);               // skip faster through data that does not match
    }
  }
  op = putLiterals(op, dst, src + anchor, n - anchor);
  store<u8>(op, 0x11); store<u8>(op, 0, 1); store<u8>(op, 0, 2);   // the end marker
  return <u32>(op + 3 - dst);
}

// t literals from lit. At the stream's start the first-byte form; after a match, up to 3 go into
// its S bits; 4 or more need a run instruction (the match left STATE 0).
function putLiterals(op: usize, dst: usize, lit: usize, t: u32): usize {
  if (t == 0) return op;
  if (op == dst && t <= 238) store<u8>(op++, <u8>(17 + t));
  else if (op != dst && t <= 3) store<u8>(sBits, load<u8>(sBits) | <u8>t);
  else if (t <= 18) store<u8>(op++, <u8>(t - 3));
  else { store<u8>(op++, 0); op = putExtension(op, t - 18); }
  memory.copy(op, lit, t);
  return op + t;
}

// rem >= 1 as zero bytes worth 255 each and a final non-zero byte.
function putExtension(op: usize, rem: u32): usize {
  while (rem > 255) { store<u8>(op++, 0); rem -= 255; }
  store<u8>(op++, <u8>rem);
  return op;
}

// A match of len >= 4 at dist 1..M4_MAX_DIST, in the shortest form that reaches it.
function putMatch(op: usize, dist: u32, len: u32): usize {
  if (len <= M2_MAX_LEN && dist <= M2_MAX_DIST) {
    let d = dist - 1;
    sBits = op;
    store<u8>(op, <u8>(((len - 1) << 5) | ((d & 7) << 2)));
    store<u8>(op, <u8>(d >> 3), 1);
    return op + 2;
  }
  let d: u32;
  if (dist <= M3_MAX_DIST) {
    d = dist - 1;
    if (len <= 33) store<u8>(op++, <u8>(32 | (len - 2)));
    else { store<u8>(op++, 32); op = putExtension(op, len - 33); }
  } else {
    d = dist - 16384;                               // >= 1: 0 would be the end marker
    let h = <u8>((d >> 11) & 8);
    d &= 0x3fff;
    if (len <= 9) store<u8>(op++, 16 | h | <u8>(len - 2));
    else { store<u8>(op++, 16 | h); op = putExtension(op, len - 9); }
  }
  sBits = op;
  store<u8>(op, <u8>(d << 2));
  store<u8>(op, <u8>(d >> 6), 1);
  return op + 2;
}

// ── decompression ─────────────────────────────────────────────────────────────────────────────
// Every read of src is checked against n and every write of dst against cap before it happens;
// a match is checked against the bytes decoded so far. Errors name the input offset (`at` plus
// the instruction's position) and what is wrong.

function corrupt(at: u64, pos: u32): Text { return msg("lzo: corrupt LZO1X data at offset ").dec(at + pos).s(": "); }

/** Decompresses the LZO1X stream src[0..n) into dst[0..cap); returns the bytes written. Fails
 *  the calling task (the machine call) on any malformed input. `at`: src's offset for errors. */
export function lzo1xDecompress(src: usize, n: u32, dst: usize, cap: u32, at: u64): u32 {
  let ip: u32 = 0, op: u32 = 0, state: u32 = 0;
  if (n == 0) failWith(corrupt(at, 0).s("empty input (no end marker)"));
  let first = <u32>load<u8>(src);
  if (first > 17) {
    let t = first - 17;
    ip = 1;
    if (t > n - ip) failWith(corrupt(at, 0).s("a run of ").dec(t).s(" literals passes the end of the input"));
    if (t > cap) failWith(corrupt(at, 0).s("a run of ").dec(t).s(" literals overruns the output of ").dec(cap).s(" bytes"));
    memory.copy(dst, src + ip, t);
    ip += t; op = t;
    state = t < 4 ? t : 4;
  }
  while (true) {
    if (ip >= n) failWith(corrupt(at, ip).s("the input ends without the end marker"));
    let i0 = ip;
    let b = <u32>load<u8>(src + ip++);
    let len: u32, dist: u32, s: u32;
    if (b < 16 && state == 0) {                     // a run of literals
      if (b != 0) len = b + 3;
      else { len = extension(src, n, cap, at, i0, 15) + 3; ip = extEnd; }
      if (len > n - ip) failWith(corrupt(at, i0).s("a run of ").dec(len).s(" literals passes the end of the input"));
      if (len > cap - op) failWith(corrupt(at, i0).s("a run of ").dec(len).s(" literals overruns the output of ").dec(cap).s(" bytes"));
      copyBytes(dst + op, src + ip, len, cap - op >= 16 && n - ip >= 16);
      ip += len; op += len;
      state = 4;
      continue;
    }
    if (b < 16) {                                   // a short match after literals
      if (ip >= n) failWith(corrupt(at, i0).s("the input ends inside an instruction"));
      let h = <u32>load<u8>(src + ip++);
      len = state == 4 ? 3 : 2;
      dist = (h << 2) + (b >> 2) + (state == 4 ? 2049 : 1);
      s = b & 3;
    } else if (b < 64) {                            // 0001HLLL: far match or the end; 001LLLLL: up to 16 KiB
      let far = b < 32;
      let l = far ? b & 7 : b & 31;
      if (l != 0) len = l + 2;
      else { len = extension(src, n, cap, at, i0, far ? 7 : 31) + 2; ip = extEnd; }
      if (n - ip < 2) failWith(corrupt(at, i0).s("the input ends inside an instruction"));
      let v = <u32>load<u16>(src + ip);             // little-endian, as wasm loads
      ip += 2;
      dist = far ? 16384 + ((b & 8) << 11) + (v >> 2) : (v >> 2) + 1;
      s = v & 3;
      if (far && dist == 16384) {
        if (ip != n) failWith(corrupt(at, ip).dec(n - ip).s(" bytes follow the end marker"));
        return op;
      }
    } else {                                        // 01LDDDSS, 1LLDDDSS: up to 2 KiB
      if (ip >= n) failWith(corrupt(at, i0).s("the input ends inside an instruction"));
      let h = <u32>load<u8>(src + ip++);
      len = b < 128 ? 3 + ((b >> 5) & 1) : 5 + ((b >> 5) & 3);
      dist = (h << 3) + ((b >> 2) & 7) + 1;
      s = b & 3;
    }
    if (dist > op) failWith(corrupt(at, i0).s("a match at distance ").dec(dist).s(" reaches before the start of the output (").dec(op).s(" bytes decoded)"));
    if (len > cap - op) failWith(corrupt(at, i0).s("a match of ").dec(len).s(" bytes overruns the output of ").dec(cap).s(" bytes"));
    copyMatch(dst + op, dist, len, cap - op >= 16);
    op += len;
    if (s != 0) {
      if (s > n - ip) failWith(corrupt(at, ip).dec(s).s(" literals pass the end of the input"));
      if (s > cap - op) failWith(corrupt(at, ip).dec(s).s(" literals overrun the output of ").dec(cap).s(" bytes"));
      copyBytes(dst + op, src + ip, s, cap - op >= 16 && n - ip >= 16);
      ip += s; op += s;
    }
    state = s;
  }
}

/** Where the last extension ended (per core: decoding never blocks). */
let extEnd: u32 = 0;

// The value of a length extension starting after the opcode at i0: base + 255 per zero byte + the
// final byte. A length that could not fit the output fails at once (no overflow on long zero runs).
function extension(src: usize, n: u32, cap: u32, at: u64, i0: u32, base: u32): u32 {
  let ip = i0 + 1, zeros: u32 = 0, most = cap / 255 + 1;
  while (true) {
    if (ip >= n) failWith(corrupt(at, i0).s("the input ends inside a length"));
    let c = <u32>load<u8>(src + ip++);
    if (c != 0) { extEnd = ip; return base + zeros * 255 + c; }
    if (++zeros > most) failWith(corrupt(at, i0).s("a length longer than the output of ").dec(cap).s(" bytes"));
  }
}

// Most copies are a few bytes, and a memory.copy costs more than the bytes it moves: up to 16
// go as two 8-byte moves when both buffers have 16 bytes of room (`room`), writing past len into
// output that later instructions overwrite or that lies past the result (still inside cap).
@inline function copyBytes(out: usize, from: usize, len: u32, room: bool): void {
  if (len <= 16 && room) {
    store<u64>(out, load<u64>(from));
    store<u64>(out, load<u64>(from, 8), 8);
  } else memory.copy(out, from, len);
}

// A match may overlap its own output (dist < len): then it repeats the last dist bytes. At
// dist >= 8 each 8-byte move reads only bytes already final.
@inline function copyMatch(out: usize, dist: u32, len: u32, room: bool): void {
  let from = out - dist;
  if (dist >= 8 && len <= 16 && room) {
    store<u64>(out, load<u64>(from));
    store<u64>(out, load<u64>(from, 8), 8);
    return;
  }
  if (dist >= len) { memory.copy(out, from, len); return; }
  if (dist == 1) { memory.fill(out, load<u8>(from), len); return; }
  for (let i: u32 = 0; i < len; i++) store<u8>(out + i, load<u8>(from + i));
}
