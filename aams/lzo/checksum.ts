// checksum.ts: the two checksums lzop files carry: Adler-32 (RFC 1950, starts at 1) and CRC-32
// (the IEEE polynomial of zlib and gzip, reflected, starts at 0). Both take a running value so a
// buffer can be summed in pieces. Not: which one a field uses (lzop.ts decides from the flags).

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
