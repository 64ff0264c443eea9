// ghash.ts: GHASH, the authentication function of GCM (SP 800-38D §6.4): Y = (Y ^ X) · H in
// GF(2^128) with GCM's reflected bit order, by 8-bit tables (a table of the 256 multiples b(x)·H,
// one byte of Y at a time, Horner-style from the last byte to the first).
// Owns: the per-key table layout and the multiplication. Not: counters, lengths, the tag.
//
// Bit order (SP 800-38D §6.3): bit 0 of a block (the top bit of byte 0) is the coefficient of
// x^0, bit 127 that of x^127; so multiplying by x is a right shift of the 128-bit big-endian
// number, folding the bit that falls off back in as R = 0xE1 || 0^120.
//
// Table (4 KiB per key): entry b (0..255) at b·16 is b(x)·H as {hi: u64, lo: u64} (hi = bytes
// 0..7 big-endian), where b's top bit is x^0 and its bottom bit x^7. A state is the same {hi, lo}.
//
// Timing: the lookups are indexed by bytes of Y, which depend on the data and on H (README.md);
// ghashBlockCT is the table-free multiplication AES_CONSTTIME contexts use.
import { load32, store32, cas32 } from "aam/atomic";

export const GH_TABLE_SIZE: usize = 4096;

// R8[r]: what shifting the 8 bits r out of the bottom folds into the top 16 bits: bit j of r
// leaves after 8 - j shifts, so R lands shifted right by 7 - j: 0xE100 >> (7 - j). 512 bytes,
// shared, built once (as cipher.ts's tables).
const R8 = memory.data(512);
const R8_READY = memory.data(4);

function r8Init(): void {
  if (load32(R8_READY) == 2) return;
  if (cas32(R8_READY, 0, 1) != 0) { while (load32(R8_READY) != 2) {} return; }
  for (let r: u32 = 0; r < 256; r++) {
    let v: u32 = 0;
    for (let j: u32 = 0; j < 8; j++) if ((r >> j) & 1) v ^= 0xE100 >> (7 - j);
    store<u16>(R8 + (<usize>r << 1), <u16>v);
  }
  store32(R8_READY, 2);
}

@inline function be64(p: usize): u64 { return bswap<u64>(load<u64>(p)); }

/** Fills the table at `t` (GH_TABLE_SIZE) for the hash key H, the 16 bytes at `h` (E(K, 0^128)). */
export function ghashTable(t: usize, h: usize): void {
  r8Init();
  let hi = be64(h), lo = be64(h + 8);
  for (let n: u32 = 128; n > 0; n >>= 1) {        // 128 = x^0·H, 64 = x·H, … 1 = x^7·H
    store<u64>(t + (<usize>n << 4), hi);
    store<u64>(t + (<usize>n << 4), lo, 8);
    let carry = lo & 1;
    lo = (lo >> 1) | (hi << 63);
    hi = (hi >> 1) ^ (carry * 0xE100000000000000);
  }
  store<u64>(t, 0);
  store<u64>(t, 0, 8);
  for (let n: u32 = 2; n < 256; n <<= 1) {        // the rest by linearity: T[n + j] = T[n] ^ T[j]
    for (let j: u32 = 1; j < n; j++) {
      let a = t + (<usize>n << 4), b = t + (<usize>j << 4), c = t + (<usize>(n + j) << 4);
      store<u64>(c, load<u64>(a) ^ load<u64>(b));
      store<u64>(c, load<u64>(a, 8) ^ load<u64>(b, 8), 8);
    }
  }
}

/** y = (y ^ x) · H: `y` a state {hi, lo}, `x` 16 data bytes, `t` H's table. */
export function ghashBlock(t: usize, y: usize, x: usize): void {
  let xh = load<u64>(y) ^ be64(x), xl = load<u64>(y, 8) ^ be64(x + 8);
  let zh: u64 = 0, zl: u64 = 0;
  for (let i = 0; i < 8; i++) {                    // bytes 15..8 (xl), last byte first
    let rem = <usize>(zl & 0xff);                   // Z · x^8
    zl = (zl >> 8) | (zh << 56);
    zh = (zh >> 8) ^ (<u64>load<u16>(R8 + (rem << 1)) << 48);
    let e = t + (<usize>(xl & 0xff) << 4);
    zh ^= load<u64>(e);
    zl ^= load<u64>(e, 8);
    xl >>= 8;
  }
  for (let i = 0; i < 8; i++) {                    // bytes 7..0 (xh)
    let rem = <usize>(zl & 0xff);
    zl = (zl >> 8) | (zh << 56);
    zh = (zh >> 8) ^ (<u64>load<u16>(R8 + (rem << 1)) << 48);
    let e = t + (<usize>(xh & 0xff) << 4);
    zh ^= load<u64>(e);
    zl ^= load<u64>(e, 8);
    xh >>= 8;
  }
  store<u64>(y, zh);
  store<u64>(y, zl, 8);
}

/** y = (y ^ x) · H without tables or branches on data: H is the 16 bytes at `h` ({hi, lo} as
 *  a state), one bit of Y at a time (SP 800-38D Algorithm 1), 128 masked steps. */
export function ghashBlockCT(h: usize, y: usize, x: usize): void {
  let xh = load<u64>(y) ^ be64(x), xl = load<u64>(y, 8) ^ be64(x + 8);
  let vh = load<u64>(h), vl = load<u64>(h, 8);
  let zh: u64 = 0, zl: u64 = 0;
  for (let i = 0; i < 128; i++) {
    let bit = i < 64 ? (xh >> <u64>(63 - i)) & 1 : (xl >> <u64>(127 - i)) & 1;
    let m = 0 - bit;
    zh ^= vh & m;
    zl ^= vl & m;
    let carry = 0 - (vl & 1);
    vl = (vl >> 1) | (vh << 63);
    vh = (vh >> 1) ^ (0xE100000000000000 & carry);
  }
  store<u64>(y, zh);
  store<u64>(y, zl, 8);
}

/** Stores H, the 16 bytes at `h`, as the {hi, lo} ghashBlockCT takes. */
export function ghashKeyCT(t: usize, h: usize): void {
  store<u64>(t, be64(h));
  store<u64>(t, be64(h + 8), 8);
}

/** Writes the state `y` as 16 big-endian bytes at `out`. */
export function ghashOut(y: usize, out: usize): void {
  store<u64>(out, bswap<u64>(load<u64>(y)));
  store<u64>(out + 8, bswap<u64>(load<u64>(y, 8)));
}
