// cipher.ts: the AES block cipher of FIPS-197 (AES-128/192/256): the S-box derived from its
// definition (inverse in GF(2^8), then the affine map), the key expansion (§5.2), and one block
// encrypted (§5.1) or decrypted with the equivalent inverse cipher (§5.3.5), both as T-tables
// (SubBytes, ShiftRows and MixColumns folded into four 256-word lookups per column).
// Owns: the shared lookup tables and the round-key layout. Not: modes, padding, the machine.
//
// Timing: the T-table lookups are indexed by secret bytes, so the cache lines they touch depend
// on the key and the data (a cache-timing side channel for an attacker sharing the CPU). See
// README.md "Timing side channels"; AES_CONSTTIME selects cipher_ct.ts instead.
//
// Tables (static data, shared by every core; written once by aesTablesInit, read-only after):
//   SBOX   256 B      S-box             TE0..TE3  4 x 1 KiB  encryption T-tables
//   ISBOX  256 B      inverse S-box     TD0..TD3  4 x 1 KiB  decryption T-tables
// Words are big-endian column words: byte 0 of a column is the top byte, as FIPS-197 writes it.
import { load32, store32, cas32 } from "aam/atomic";

const SBOX = memory.data(256);
const ISBOX = memory.data(256);
const TE = memory.data(4096 * 2);          // TE0 at +0, TE1 +1024, TE2 +2048, TE3 +3072; TD at +4096
const TD: usize = TE + 4096;
const READY = memory.data(4);              // 0 not built, 1 building, 2 ready

/** Multiplication by x in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1 (FIPS-197 §4.2.1). */
@inline function xtime(b: u32): u32 { return ((b << 1) ^ ((b >> 7) * 0x1b)) & 0xff; }

/** a * b in GF(2^8), by shift-and-add (table building only). */
function gmul(a: u32, b: u32): u32 {
  let r: u32 = 0;
  for (let i = 0; i < 8; i++) {
    if (b & 1) r ^= a;
    a = xtime(a);
    b >>= 1;
  }
  return r;
}

/** Builds the tables once; any core may call it, the first builds and the others wait. */
export function aesTablesInit(): void {
  if (load32(READY) == 2) return;
  if (cas32(READY, 0, 1) != 0) {
    while (load32(READY) != 2) {}        // another core is building (a few µs)
    return;
  }
  for (let x: u32 = 0; x < 256; x++) {
    let inv: u32 = 0;                              // x^254 = x^-1, and 0 for 0 (§5.1.1)
    if (x != 0) {
      let p: u32 = 1;
      for (let i = 0; i < 254; i++) p = gmul(p, x);
      inv = p;
    }
    let s = inv;                                   // the affine map: b ^ rotl1 ^ rotl2 ^ rotl3 ^ rotl4 ^ 0x63
    for (let r = 1; r <= 4; r++) s ^= ((inv << r) | (inv >> (8 - r))) & 0xff;
    s ^= 0x63;
    store<u8>(SBOX + x, <u8>s);
    store<u8>(ISBOX + s, <u8>x);
  }
  for (let x: u32 = 0; x < 256; x++) {
    let s = <u32>load<u8>(SBOX + x), si = <u32>load<u8>(ISBOX + x);
    // Column (2s, s, s, 3s): MixColumns of a column holding s in row 0.
    let te = (gmul(s, 2) << 24) | (s << 16) | (s << 8) | gmul(s, 3);
    // Column (14si, 9si, 13si, 11si): InvMixColumns of a column holding si in row 0.
    let td = (gmul(si, 14) << 24) | (gmul(si, 9) << 16) | (gmul(si, 13) << 8) | gmul(si, 11);
    for (let k: u32 = 0; k < 4; k++) {             // table k: the same column, rotated for row k
      store<u32>(TE + (k << 10) + (x << 2), rotr<u32>(te, k << 3));
      store<u32>(TD + (k << 10) + (x << 2), rotr<u32>(td, k << 3));
    }
  }
  store32(READY, 2);
}

/** The S-box's address (built), for the constant-time cipher's table-free lookups. */
export function aesSbox(): usize { aesTablesInit(); return SBOX; }

// ── round keys ─────────────────────────────────────────────────────────────────────────────────
// A key schedule, 496 bytes:
//   0    u32 rounds (10, 12, 14)
//   16   u32 ek[60]  encryption round keys w[0 .. 4·(Nr+1)) (§5.2)
//   256  u32 dk[60]  decryption round keys of the equivalent inverse cipher (§5.3.5)
export const KS_SIZE: usize = 496;
const KS_EK: usize = 16, KS_DK: usize = 256;

@inline function sub(w: u32): u32 {
  return (<u32>load<u8>(SBOX + (w >> 24)) << 24) | (<u32>load<u8>(SBOX + ((w >> 16) & 0xff)) << 16) |
    (<u32>load<u8>(SBOX + ((w >> 8) & 0xff)) << 8) | <u32>load<u8>(SBOX + (w & 0xff));
}
@inline function te(k: u32, b: u32): u32 { return load<u32>(TE + (k << 10) + (b << 2)); }
@inline function td(k: u32, b: u32): u32 { return load<u32>(TD + (k << 10) + (b << 2)); }
@inline function be32(p: usize): u32 { return bswap<u32>(load<u32>(p)); }
@inline function putBe32(p: usize, v: u32): void { store<u32>(p, bswap<u32>(v)); }

/** Expands a 16-, 24- or 32-byte key at `key` into the schedule at `ks` (KS_SIZE bytes).
 *  The caller checked the length. */
export function aesExpandKey(ks: usize, key: usize, keyLen: i32): void {
  aesTablesInit();
  let nk = keyLen >> 2, nr = nk + 6, total = (nr + 1) << 2;
  store<u32>(ks, nr);
  let ek = ks + KS_EK;
  for (let i = 0; i < nk; i++) store<u32>(ek + (<usize>i << 2), be32(key + (<usize>i << 2)));
  let rcon: u32 = 1;
  for (let i = nk; i < total; i++) {
    let t = load<u32>(ek + (<usize>(i - 1) << 2));
    if (i % nk == 0) {
      t = sub(rotl<u32>(t, 8)) ^ (rcon << 24);
      rcon = xtime(rcon);
    } else if (nk > 6 && i % nk == 4) {
      t = sub(t);
    }
    store<u32>(ek + (<usize>i << 2), load<u32>(ek + (<usize>(i - nk) << 2)) ^ t);
  }
  // dk: the encryption keys in reverse round order, InvMixColumns applied to rounds 1..Nr-1.
  // td(k, SBOX[b]) is InvMixColumns of b alone in row k, so four lookups give the whole column.
  let dk = ks + KS_DK;
  for (let r = 0; r <= nr; r++) {
    for (let c = 0; c < 4; c++) {
      let w = load<u32>(ek + (<usize>(((nr - r) << 2) + c) << 2));
      if (r > 0 && r < nr) {
        w = td(0, load<u8>(SBOX + (w >> 24))) ^ td(1, load<u8>(SBOX + ((w >> 16) & 0xff))) ^
          td(2, load<u8>(SBOX + ((w >> 8) & 0xff))) ^ td(3, load<u8>(SBOX + (w & 0xff)));
      }
      store<u32>(dk + (<usize>((r << 2) + c) << 2), w);
    }
  }
}

/** Encrypts the 16 bytes at `src` into `dst` (may be the same) with schedule `ks`. */
export function aesEncryptBlock(ks: usize, src: usize, dst: usize): void {
  let nr = load<u32>(ks);
  let rk = ks + KS_EK;
  let s0 = be32(src) ^ load<u32>(rk), s1 = be32(src + 4) ^ load<u32>(rk, 4);
  let s2 = be32(src + 8) ^ load<u32>(rk, 8), s3 = be32(src + 12) ^ load<u32>(rk, 12);
  for (let r: u32 = 1; r < nr; r++) {
    rk += 16;
    let t0 = te(0, s0 >> 24) ^ te(1, (s1 >> 16) & 0xff) ^ te(2, (s2 >> 8) & 0xff) ^ te(3, s3 & 0xff) ^ load<u32>(rk);
    let t1 = te(0, s1 >> 24) ^ te(1, (s2 >> 16) & 0xff) ^ te(2, (s3 >> 8) & 0xff) ^ te(3, s0 & 0xff) ^ load<u32>(rk, 4);
    let t2 = te(0, s2 >> 24) ^ te(1, (s3 >> 16) & 0xff) ^ te(2, (s0 >> 8) & 0xff) ^ te(3, s1 & 0xff) ^ load<u32>(rk, 8);
    let t3 = te(0, s3 >> 24) ^ te(1, (s0 >> 16) & 0xff) ^ te(2, (s1 >> 8) & 0xff) ^ te(3, s2 & 0xff) ^ load<u32>(rk, 12);
    s0 = t0; s1 = t1; s2 = t2; s3 = t3;
  }
  rk += 16;                                        // last round: no MixColumns
  putBe32(dst, lastRound(s0, s1, s2, s3, SBOX) ^ load<u32>(rk));
  putBe32(dst + 4, lastRound(s1, s2, s3, s0, SBOX) ^ load<u32>(rk, 4));
  putBe32(dst + 8, lastRound(s2, s3, s0, s1, SBOX) ^ load<u32>(rk, 8));
  putBe32(dst + 12, lastRound(s3, s0, s1, s2, SBOX) ^ load<u32>(rk, 12));
}

/** Decrypts the 16 bytes at `src` into `dst` (may be the same) with schedule `ks`. */
export function aesDecryptBlock(ks: usize, src: usize, dst: usize): void {
  let nr = load<u32>(ks);
  let rk = ks + KS_DK;
  let s0 = be32(src) ^ load<u32>(rk), s1 = be32(src + 4) ^ load<u32>(rk, 4);
  let s2 = be32(src + 8) ^ load<u32>(rk, 8), s3 = be32(src + 12) ^ load<u32>(rk, 12);
  for (let r: u32 = 1; r < nr; r++) {              // InvShiftRows takes row k from column c - k
    rk += 16;
    let t0 = td(0, s0 >> 24) ^ td(1, (s3 >> 16) & 0xff) ^ td(2, (s2 >> 8) & 0xff) ^ td(3, s1 & 0xff) ^ load<u32>(rk);
    let t1 = td(0, s1 >> 24) ^ td(1, (s0 >> 16) & 0xff) ^ td(2, (s3 >> 8) & 0xff) ^ td(3, s2 & 0xff) ^ load<u32>(rk, 4);
    let t2 = td(0, s2 >> 24) ^ td(1, (s1 >> 16) & 0xff) ^ td(2, (s0 >> 8) & 0xff) ^ td(3, s3 & 0xff) ^ load<u32>(rk, 8);
    let t3 = td(0, s3 >> 24) ^ td(1, (s2 >> 16) & 0xff) ^ td(2, (s1 >> 8) & 0xff) ^ td(3, s0 & 0xff) ^ load<u32>(rk, 12);
    s0 = t0; s1 = t1; s2 = t2; s3 = t3;
  }
  rk += 16;
  putBe32(dst, lastRound(s0, s3, s2, s1, ISBOX) ^ load<u32>(rk));
  putBe32(dst + 4, lastRound(s1, s0, s3, s2, ISBOX) ^ load<u32>(rk, 4));
  putBe32(dst + 8, lastRound(s2, s1, s0, s3, ISBOX) ^ load<u32>(rk, 8));
  putBe32(dst + 12, lastRound(s3, s2, s1, s0, ISBOX) ^ load<u32>(rk, 12));
}

/** The S-box (or its inverse) of row 0 of a, row 1 of b, row 2 of c, row 3 of d, as one column. */
@inline function lastRound(a: u32, b: u32, c: u32, d: u32, box: usize): u32 {
  return (<u32>load<u8>(box + (a >> 24)) << 24) | (<u32>load<u8>(box + ((b >> 16) & 0xff)) << 16) |
    (<u32>load<u8>(box + ((c >> 8) & 0xff)) << 8) | <u32>load<u8>(box + (d & 0xff));
}
