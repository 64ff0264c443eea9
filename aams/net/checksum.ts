// checksum.ts: the Internet checksum (RFC 1071) and network byte order, for every layer of the
// stack (IP, ICMP, UDP here; TCP in tcp*.ts).
//
// Owns: csumPartial / csumFold / pseudoSum (the B ↔ C contract, /work/net-contract.md) and the
// big-endian loads and stores the headers are read and written with. Not: which bytes a
// protocol covers (each protocol file says), where packets live (stack.ts).
//
// A partial sum is the ones' complement sum of 16-bit big-endian words, kept in a u32 (not yet
// inverted, at most 0x1FFFF between calls). Sums of pieces combine by passing one as `sum` of
// the next, as long as every piece but the last has an even length (an odd tail is padded with
// a zero byte, RFC 1071 §2). The final checksum is csumFold(sum); a received header/segment
// whose covered bytes (checksum field included) give csumFold(...) == 0 is intact.
//
// The loop adds little-endian 32-bit words into a u64 and swaps the folded result once: the
// ones' complement sum does not depend on byte order other than by that swap (RFC 1071 §2(B)).

/** Big-endian u16 at p. */
// @ts-ignore: decorator
@inline export function get16(p: usize): u32 { return <u32>bswap<u16>(load<u16>(p)); }
/** Big-endian u32 at p. */
// @ts-ignore: decorator
@inline export function get32(p: usize): u32 { return bswap<u32>(load<u32>(p)); }
/** Stores v (low 16 bits) big-endian at p. */
// @ts-ignore: decorator
@inline export function put16(p: usize, v: u32): void { store<u16>(p, bswap<u16>(<u16>v)); }
/** Stores v big-endian at p. */
// @ts-ignore: decorator
@inline export function put32(p: usize, v: u32): void { store<u32>(p, bswap<u32>(v)); }

// Folds a u64 of 16-bit-column sums into 16 bits (not inverted).
// @ts-ignore: decorator
@inline function fold64(s: u64): u32 {
  s = (s & 0xFFFFFFFF) + (s >> 32);
  s = (s & 0xFFFFFFFF) + (s >> 32);
  let t = <u32>s;
  t = (t & 0xFFFF) + (t >> 16);
  t = (t & 0xFFFF) + (t >> 16);
  return t;
}

/** The ones' complement partial sum of `len` bytes at `p`, added to `sum` (0 to start).
 *  Returns a value ≤ 0xFFFF (folded, not inverted). */
export function csumPartial(p: usize, len: u32, sum: u32): u32 {
  let acc: u64 = 0;
  let i: usize = 0, n = <usize>len;
  while (i + 16 <= n) {
    acc += <u64>load<u32>(p + i) + <u64>load<u32>(p + i + 4) + <u64>load<u32>(p + i + 8) + <u64>load<u32>(p + i + 12);
    i += 16;
  }
  while (i + 4 <= n) { acc += <u64>load<u32>(p + i); i += 4; }
  if (i + 2 <= n) { acc += <u64>load<u16>(p + i); i += 2; }
  if (i < n) acc += <u64>load<u8>(p + i);             // the odd byte: high byte of a BE word = low byte in LE
  let le = fold64(acc);
  let be = <u32>bswap<u16>(<u16>le);
  return fold64(<u64>be + <u64>sum);
}

/** The checksum field's value for a partial sum: the inverted 16-bit fold. */
export function csumFold(sum: u32): u16 {
  let t = (sum & 0xFFFF) + (sum >> 16);
  t = (t & 0xFFFF) + (t >> 16);
  return <u16>(~t & 0xFFFF);
}

/** The partial sum of the IPv4 pseudo-header (RFC 9293 §3.1, RFC 768): src, dst (host order),
 *  zero, proto, the transport length (header + data). */
export function pseudoSum(src: u32, dst: u32, proto: u32, len: u32): u32 {
  let s: u64 = <u64>(src >> 16) + <u64>(src & 0xFFFF) + <u64>(dst >> 16) + <u64>(dst & 0xFFFF) + <u64>(proto & 0xFF) + <u64>(len & 0xFFFF) + <u64>(len >> 16);
  return fold64(s);
}

/** An IPv4 address (host order) as dotted text, for messages and tests. Allocates. */
export function ipText(a: u32): string {
  return (a >> 24).toString() + "." + ((a >> 16) & 255).toString() + "." + ((a >> 8) & 255).toString() + "." + (a & 255).toString();
}

/** Parses "A.B.C.D" (host order result) or returns -1 (as i64) on a bad address. */
export function ipParse(s: string): i64 {
  let a: u32 = 0, part: i32 = -1, parts = 0;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c == 0x2E) {
      if (part < 0 || parts == 3) return -1;
      a = (a << 8) | <u32>part; parts++; part = -1;
    } else if (c >= 0x30 && c <= 0x39) {
      part = (part < 0 ? 0 : part * 10) + (c - 0x30);
      if (part > 255) return -1;
    } else return -1;
  }
  if (part < 0 || parts != 3) return -1;
  return <i64>((a << 8) | <u32>part);
}
