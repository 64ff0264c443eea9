// ghash.ts: GHASH, the authentication function of GCM (SP 800-38D §6.4): Y = (Y ^ X) · H in
// GF(2^128) with GCM's reflected bit order, by 4-bit tables (a table of the 16 multiples n(x)·H,
// one nibble of Y at a time, Horner-style from the last nibble to the first).
// Owns: the per-key table layout and the multiplication. Not: counters, lengths, the tag.
//
// Bit order (SP 800-38D §6.3): bit 0 of a block (the top bit of byte 0) is the coefficient of
// x^0, bit 127 that of x^127; so multiplying by x is a right shift of the 128-bit big-endian
// number, folding the bit that falls off back in as R = 0xE1 || 0^120.
//
// Table (256 bytes per key): entry n (0..15) at n·16 is n(x)·H as {hi: u64, lo: u64} (hi = bytes
// 0..7 big-endian), where n's top bit is x^0 and its bottom bit x^3. A state is the same {hi, lo}.
//
// Timing: the lookups are indexed by nibbles of Y, which depend on the data and on H (README.md);
// ghashBlockCT is the table-free multiplication AES_CONSTTIME contexts use.

export const GH_TABLE_SIZE: usize = 256;

// R4[r]: what shifting the 4 bits r out of the bottom folds into the top 16 bits (bit j of r
// leaves after 4 - j shifts: 0xE100 >> (3 - j)); XORs of 0x1c20, 0x3840, 0x7080, 0xe100.
const R4 = memory.data<u16>([0x0000, 0x1c20, 0x3840, 0x2460, 0x7080, 0x6ca0, 0x48c0, 0x54e0,
  0xe100, 0xfd20, 0xd940, 0xc560, 0x9180, 0x8da0, 0xa9c0, 0xb5e0]);

@inline function be64(p: usize): u64 { return bswap<u64>(load<u64>(p)); }

/** Fills the table at `t` for the hash key H, the 16 bytes at `h` (E(K, 0^128)). */
export function ghashTable(t: usize, h: usize): void {
  let hi = be64(h), lo = be64(h + 8);
  for (let n: u32 = 8; n > 0; n >>= 1) {          // 8 = x^0·H, 4 = x·H, 2 = x^2·H, 1 = x^3·H
    store<u64>(t + (<usize>n << 4), hi);
    store<u64>(t + (<usize>n << 4), lo, 8);
    let carry = lo & 1;
    lo = (lo >> 1) | (hi << 63);
    hi = (hi >> 1) ^ (carry * 0xE100000000000000);
  }
  store<u64>(t, 0);
  store<u64>(t, 0, 8);
  for (let n: u32 = 2; n < 16; n <<= 1) {         // the rest by linearity: T[n + j] = T[n] ^ T[j]
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
  for (let half = 0; half < 2; half++) {           // xl (bytes 8..15) first, then xh: last nibble first
    let w = half == 0 ? xl : xh;
    for (let i = 0; i < 16; i++) {
      let nib = <usize>(w & 0xf);
      w >>= 4;
      let rem = <usize>(zl & 0xf);                  // Z · x^4
      zl = (zl >> 4) | (zh << 60);
      zh = (zh >> 4) ^ (<u64>load<u16>(R4 + (rem << 1)) << 48);
      let e = t + (nib << 4);
      zh ^= load<u64>(e);
      zl ^= load<u64>(e, 8);
    }
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
