// cipher_ct.ts: the constant-time formulation of the AES block cipher (FIPS-197), chosen per
// context with AES_CONSTTIME: no memory access and no branch depends on the key or the data.
// Bitsliced: up to 4 blocks (64 bytes) become 8 "planes" of 64 bits, plane b holding bit b of
// every byte, and every step of the cipher is a fixed sequence of AND, XOR and shifts on planes.
// SubBytes is computed from its definition, not looked up: the inverse in GF(2^8) as x^254
// (4 multiplications, 7 squarings of bitsliced field elements), then the affine map (§5.1.1).
// Owns: the plane layout, the bitsliced round keys, a table-free S-box for the key expansion.
// Not: modes (modes.ts), the T-table cipher (cipher.ts; see README.md for the price of each).
//
// Plane layout: byte k (0..15) of block j (0..3) is bit 16·j + k of each plane; in a block, byte
// k = row r + 4·column c (FIPS-197 §3.4), so a 16-bit lane is one block and a nibble one column.
//
// Memory (all given by the caller, so nothing is shared between calls):
//   ks: u32 rounds, then at +16 the round keys, each 8 planes (64 bytes) with the 16 key bytes in
//       all four lanes: (rounds + 1) · 64 bytes, at most 976 in all (CT_KS_SIZE)
//   w:  scratch of CT_SCRATCH bytes: the state and the temporaries of the inversion
import { aesSbox } from "./cipher";

export const CT_KS_SIZE: usize = 16 + 15 * 64;
export const CT_SCRATCH: usize = 8 * 64 + 15 * 8;

// Scratch: 8 values of 8 planes (64 bytes each), then 15 u64 for a product before reduction.
const S_Q: usize = 0, S_A: usize = 64, S_B: usize = 128, S_X2: usize = 192, S_X3: usize = 256;
const S_X12: usize = 320, S_T: usize = 384, S_KEY: usize = 448, S_P: usize = 512;

const ONES: u64 = 0xFFFFFFFFFFFFFFFF;
const ROW0: u64 = 0x1111111111111111;

@inline function pl(v: usize, b: i32): u64 { return load<u64>(v + (<usize>b << 3)); }
@inline function setPl(v: usize, b: i32, x: u64): void { store<u64>(v + (<usize>b << 3), x); }

/** S-box of x without an index that depends on x: reads all 256 entries (key expansion only). */
export function ctSubByte(x: u32): u32 {
  let r: u32 = 0, box = aesSbox();
  for (let i: u32 = 0; i < 256; i++) {
    let eq = ((i ^ x) - 1) >> 31;                  // all ones iff i == x (both below 256)
    r |= <u32>load<u8>(box + i) & (0 - eq);
  }
  return r;
}

// ── packing ────────────────────────────────────────────────────────────────────────────────────
/** 64 bytes at src into 8 planes at q. */
function pack(q: usize, src: usize): void {
  for (let b = 0; b < 8; b++) {
    let p: u64 = 0;
    for (let c = 0; c < 8; c++) {                  // bit b of the 8 bytes of word c, gathered in a byte
      let m = (load<u64>(src + (<usize>c << 3)) >> <u64>b) & 0x0101010101010101;
      p |= ((m * 0x0102040810204080) >> 56) << (<u64>c << 3);
    }
    setPl(q, b, p);
  }
}

/** 8 planes at q into 64 bytes at dst. */
function unpack(dst: usize, q: usize): void {
  for (let c = 0; c < 8; c++) {
    let w: u64 = 0;
    for (let b = 0; b < 8; b++) {                  // the byte of plane b for word c, one bit per byte
      let t = (pl(q, b) >> (<u64>c << 3)) & 0xff;
      t = (t | (t << 28)) & 0x0000000F0000000F;
      t = (t | (t << 14)) & 0x0003000300030003;
      t = (t | (t << 7)) & 0x0101010101010101;
      w |= t << <u64>b;
    }
    store<u64>(dst + (<usize>c << 3), w);
  }
}

// ── GF(2^8) on planes ──────────────────────────────────────────────────────────────────────────
// x^k = x^(k-8) · (x^4 + x^3 + x + 1) for k = 14 down to 8, then the low 8 coefficients stored.
@inline function reduceStore(d: usize, p0: u64, p1: u64, p2: u64, p3: u64, p4: u64, p5: u64, p6: u64, p7: u64,
    p8: u64, p9: u64, p10: u64, p11: u64, p12: u64, p13: u64, p14: u64): void {
  p6 ^= p14;
  p7 ^= p14;
  p9 ^= p14;
  p10 ^= p14;
  p5 ^= p13;
  p6 ^= p13;
  p8 ^= p13;
  p9 ^= p13;
  p4 ^= p12;
  p5 ^= p12;
  p7 ^= p12;
  p8 ^= p12;
  p3 ^= p11;
  p4 ^= p11;
  p6 ^= p11;
  p7 ^= p11;
  p2 ^= p10;
  p3 ^= p10;
  p5 ^= p10;
  p6 ^= p10;
  p1 ^= p9;
  p2 ^= p9;
  p4 ^= p9;
  p5 ^= p9;
  p0 ^= p8;
  p1 ^= p8;
  p3 ^= p8;
  p4 ^= p8;
  setPl(d, 0, p0);
  setPl(d, 1, p1);
  setPl(d, 2, p2);
  setPl(d, 3, p3);
  setPl(d, 4, p4);
  setPl(d, 5, p5);
  setPl(d, 6, p6);
  setPl(d, 7, p7);
}

function gmul(d: usize, a: usize, b: usize, p: usize): void {   // p unused: all in locals
  let a0 = pl(a, 0), a1 = pl(a, 1), a2 = pl(a, 2), a3 = pl(a, 3), a4 = pl(a, 4), a5 = pl(a, 5), a6 = pl(a, 6), a7 = pl(a, 7);
  let b0 = pl(b, 0), b1 = pl(b, 1), b2 = pl(b, 2), b3 = pl(b, 3), b4 = pl(b, 4), b5 = pl(b, 5), b6 = pl(b, 6), b7 = pl(b, 7);
  let p0 = (a0 & b0);
  let p1 = (a0 & b1) ^ (a1 & b0);
  let p2 = (a0 & b2) ^ (a1 & b1) ^ (a2 & b0);
  let p3 = (a0 & b3) ^ (a1 & b2) ^ (a2 & b1) ^ (a3 & b0);
  let p4 = (a0 & b4) ^ (a1 & b3) ^ (a2 & b2) ^ (a3 & b1) ^ (a4 & b0);
  let p5 = (a0 & b5) ^ (a1 & b4) ^ (a2 & b3) ^ (a3 & b2) ^ (a4 & b1) ^ (a5 & b0);
  let p6 = (a0 & b6) ^ (a1 & b5) ^ (a2 & b4) ^ (a3 & b3) ^ (a4 & b2) ^ (a5 & b1) ^ (a6 & b0);
  let p7 = (a0 & b7) ^ (a1 & b6) ^ (a2 & b5) ^ (a3 & b4) ^ (a4 & b3) ^ (a5 & b2) ^ (a6 & b1) ^ (a7 & b0);
  let p8 = (a1 & b7) ^ (a2 & b6) ^ (a3 & b5) ^ (a4 & b4) ^ (a5 & b3) ^ (a6 & b2) ^ (a7 & b1);
  let p9 = (a2 & b7) ^ (a3 & b6) ^ (a4 & b5) ^ (a5 & b4) ^ (a6 & b3) ^ (a7 & b2);
  let p10 = (a3 & b7) ^ (a4 & b6) ^ (a5 & b5) ^ (a6 & b4) ^ (a7 & b3);
  let p11 = (a4 & b7) ^ (a5 & b6) ^ (a6 & b5) ^ (a7 & b4);
  let p12 = (a5 & b7) ^ (a6 & b6) ^ (a7 & b5);
  let p13 = (a6 & b7) ^ (a7 & b6);
  let p14 = (a7 & b7);
  reduceStore(d, p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11, p12, p13, p14);
}

function gsq(d: usize, a: usize, p: usize): void {  // squaring is linear: a_i goes to x^(2i)
  reduceStore(d, pl(a, 0), 0, pl(a, 1), 0, pl(a, 2), 0, pl(a, 3), 0, pl(a, 4), 0, pl(a, 5), 0, pl(a, 6), 0, pl(a, 7));
}

/** SubBytes of the state at w + S_Q: x^254 (= x^-1, 0 for 0), then the affine map. */
function subBytes(w: usize): void {
  let q = w + S_Q, p = w + S_P;
  gsq(w + S_X2, q, p);                             // x^2
  gmul(w + S_X3, w + S_X2, q, p);                  // x^3
  gsq(w + S_T, w + S_X3, p);                       // x^6
  gsq(w + S_X12, w + S_T, p);                      // x^12
  gmul(w + S_T, w + S_X12, w + S_X3, p);           // x^15
  for (let i = 0; i < 4; i++) gsq(w + S_T, w + S_T, p);   // x^240
  gmul(w + S_T, w + S_T, w + S_X12, p);            // x^252
  gmul(w + S_A, w + S_T, w + S_X2, p);             // x^254
  let a = w + S_A;                                 // s_i = b_i ^ b_i+4 ^ b_i+5 ^ b_i+6 ^ b_i+7 ^ 0x63_i
  for (let i = 0; i < 8; i++) {
    let s = pl(a, i) ^ pl(a, (i + 4) & 7) ^ pl(a, (i + 5) & 7) ^ pl(a, (i + 6) & 7) ^ pl(a, (i + 7) & 7);
    setPl(q, i, (0x63 >> i) & 1 ? s ^ ONES : s);
  }
}

/** InvSubBytes: the inverse affine map (b_i = s_i+2 ^ s_i+5 ^ s_i+7 ^ 0x05_i), then x^254. */
function invSubBytes(w: usize): void {
  let q = w + S_Q, a = w + S_A;
  for (let i = 0; i < 8; i++) {
    let s = pl(q, (i + 2) & 7) ^ pl(q, (i + 5) & 7) ^ pl(q, (i + 7) & 7);
    setPl(a, i, (0x05 >> i) & 1 ? s ^ ONES : s);
  }
  let p = w + S_P;
  gsq(w + S_X2, a, p);
  gmul(w + S_X3, w + S_X2, a, p);
  gsq(w + S_T, w + S_X3, p);
  gsq(w + S_X12, w + S_T, p);
  gmul(w + S_T, w + S_X12, w + S_X3, p);
  for (let i = 0; i < 4; i++) gsq(w + S_T, w + S_T, p);
  gmul(w + S_T, w + S_T, w + S_X12, p);
  gmul(q, w + S_T, w + S_X2, p);
}

// ── ShiftRows and MixColumns on planes ─────────────────────────────────────────────────────────
// Columns c0..c0+n-1 of every lane (a nibble each).
@inline function cols(c0: u64, n: u64): u64 { return (((<u64>1 << (n << 2)) - 1) << (c0 << 2)) * 0x0001000100010001; }

// Row r (r = 1..3) of every column moves `left` columns toward column 0 (ShiftRows: left = r;
// InvShiftRows: left = 4 - r), wrapping inside its lane.
@inline function rotateRow(x: u64, r: u64, left: u64): u64 {
  let m = x & (ROW0 << r);
  return ((m >> (left << 2)) & cols(0, 4 - left)) | ((m << ((4 - left) << 2)) & cols(4 - left, left));
}

function shiftRows(q: usize, inverse: bool): void {
  for (let b = 0; b < 8; b++) {
    let x = pl(q, b);
    let y = x & ROW0;
    for (let r: u64 = 1; r < 4; r++) y |= rotateRow(x, r, inverse ? 4 - r : r);
    setPl(q, b, y);
  }
}

// In each column, row r takes the byte of row r + k (mod 4).
@inline function rot1(x: u64): u64 { return ((x >> 1) & 0x7777777777777777) | ((x << 3) & 0x8888888888888888); }
@inline function rot2(x: u64): u64 { return ((x >> 2) & 0x3333333333333333) | ((x << 2) & 0xCCCCCCCCCCCCCCCC); }

/** MixColumns: out = 2·(a ^ rot1 a) ^ rot1 a ^ rot2(a ^ rot1 a), i.e. 2a ^ 3a' ^ a'' ^ a''' (§5.1.3). */
function mixColumns(q: usize, w: usize): void {
  let t = w + S_T, r = w + S_B;
  for (let b = 0; b < 8; b++) {
    let a = pl(q, b), a1 = rot1(a);
    setPl(t, b, a ^ a1);
    setPl(r, b, a1 ^ rot2(a ^ a1));
  }
  let t7 = pl(t, 7);                               // xtime on planes: 0x1b is bits 0, 1, 3, 4
  setPl(q, 0, t7 ^ pl(r, 0));
  setPl(q, 1, pl(t, 0) ^ t7 ^ pl(r, 1));
  setPl(q, 2, pl(t, 1) ^ pl(r, 2));
  setPl(q, 3, pl(t, 2) ^ t7 ^ pl(r, 3));
  setPl(q, 4, pl(t, 3) ^ t7 ^ pl(r, 4));
  setPl(q, 5, pl(t, 4) ^ pl(r, 5));
  setPl(q, 6, pl(t, 5) ^ pl(r, 6));
  setPl(q, 7, pl(t, 6) ^ pl(r, 7));
}

/** InvMixColumns as MixColumns after a ^ 4·(a ^ rot2 a): the matrix (0e 0b 0d 09) is
 *  (02 03 01 01) times (05 00 04 00), both circulant. */
function invMixColumns(q: usize, w: usize): void {
  let t = w + S_T;
  for (let b = 0; b < 8; b++) { let a = pl(q, b); setPl(t, b, a ^ rot2(a)); }
  for (let k = 0; k < 2; k++) {                    // t = 4·t: xtime twice
    let t7 = pl(t, 7);
    for (let b = 7; b > 0; b--) setPl(t, b, pl(t, b - 1));
    setPl(t, 0, t7);
    setPl(t, 1, pl(t, 1) ^ t7);
    setPl(t, 3, pl(t, 3) ^ t7);
    setPl(t, 4, pl(t, 4) ^ t7);
  }
  for (let b = 0; b < 8; b++) setPl(q, b, pl(q, b) ^ pl(t, b));
  mixColumns(q, w);
}

@inline function addRoundKey(q: usize, rk: usize): void {
  for (let b = 0; b < 8; b++) setPl(q, b, pl(q, b) ^ pl(rk, b));
}

// ── key schedule and blocks ────────────────────────────────────────────────────────────────────
@inline function subWord(x: u32): u32 {
  return (ctSubByte(x >> 24) << 24) | (ctSubByte((x >> 16) & 0xff) << 16) | (ctSubByte((x >> 8) & 0xff) << 8) | ctSubByte(x & 0xff);
}

/** Expands a 16-, 24- or 32-byte key at `key` into the bitsliced schedule at `ks` (CT_KS_SIZE),
 *  using `w` (CT_SCRATCH) as scratch. */
export function ctExpandKey(ks: usize, key: usize, keyLen: i32, w: usize): void {
  let nk = keyLen >> 2, nr = nk + 6, total = (nr + 1) << 2;
  store<u32>(ks, nr);
  let words = w + S_P - 240;                       // 60 words: the scratch's S_X2.. area
  for (let i = 0; i < nk; i++) store<u32>(words + (<usize>i << 2), bswap<u32>(load<u32>(key + (<usize>i << 2))));
  let rcon: u32 = 1;
  for (let i = nk; i < total; i++) {
    let t = load<u32>(words + (<usize>(i - 1) << 2));
    if (i % nk == 0) {
      t = subWord(rotl<u32>(t, 8)) ^ (rcon << 24);
      rcon = ((rcon << 1) ^ ((rcon >> 7) * 0x1b)) & 0xff;
    } else if (nk > 6 && i % nk == 4) {
      t = subWord(t);
    }
    store<u32>(words + (<usize>i << 2), load<u32>(words + (<usize>(i - nk) << 2)) ^ t);
  }
  let wide = w + S_Q;                              // the round key's 16 bytes in all four lanes
  for (let r = 0; r <= nr; r++) {
    for (let j = 0; j < 4; j++)
      for (let c = 0; c < 4; c++) store<u32>(wide + (<usize>j << 4) + (<usize>c << 2), bswap<u32>(load<u32>(words + (<usize>((r << 2) + c) << 2))));
    pack(ks + 16 + (<usize>r << 6), wide);
  }
  memory.fill(w, 0, CT_SCRATCH);
}

/** Encrypts `n` blocks (1..4) from src to dst (may be the same) with schedule ks. */
export function ctEncrypt(ks: usize, src: usize, dst: usize, n: i32, w: usize): void {
  let q = w + S_Q, io = w + S_KEY;                 // S_KEY: 64 bytes of block buffer
  memory.fill(io, 0, 64);
  memory.copy(io, src, <usize>n << 4);
  pack(q, io);
  let nr = <i32>load<u32>(ks), rk = ks + 16;
  addRoundKey(q, rk);
  for (let r = 1; r < nr; r++) {
    subBytes(w);
    shiftRows(q, false);
    mixColumns(q, w);
    addRoundKey(q, rk + (<usize>r << 6));
  }
  subBytes(w);
  shiftRows(q, false);
  addRoundKey(q, rk + (<usize>nr << 6));
  unpack(io, q);
  memory.copy(dst, io, <usize>n << 4);
}

/** Decrypts `n` blocks (1..4) from src to dst (may be the same): the inverse cipher (§5.3). */
export function ctDecrypt(ks: usize, src: usize, dst: usize, n: i32, w: usize): void {
  let q = w + S_Q, io = w + S_KEY;
  memory.fill(io, 0, 64);
  memory.copy(io, src, <usize>n << 4);
  pack(q, io);
  let nr = <i32>load<u32>(ks), rk = ks + 16;
  addRoundKey(q, rk + (<usize>nr << 6));
  for (let r = nr - 1; r > 0; r--) {
    shiftRows(q, true);
    invSubBytes(w);
    addRoundKey(q, rk + (<usize>r << 6));
    invMixColumns(q, w);
  }
  shiftRows(q, true);
  invSubBytes(w);
  addRoundKey(q, rk);
  unpack(io, q);
  memory.copy(dst, io, <usize>n << 4);
}
