// name.ts: file names on a FAT volume: UTF-8 paths to UCS-2 and back, the rules of a valid long
// name, 8.3 short names (the basis, the ~N tail, the LFN checksum) and how names compare.
// Owns: every rule about names. Not: where names are stored (dir.ts).
//
// Names compare without regard to ASCII case (as FAT does: "readme.TXT" and "README.txt" are one
// file); other characters compare exactly. A long name is 1..255 UCS-2 units (a character above
// U+FFFF takes two); a short name is 8 + 3 bytes of the OEM code page, here ASCII only: a name
// with other characters always gets a long name, and '_' in its short one.
import { EINVAL, ENAMETOOLONG } from "./errno";
import { NAME_UNITS } from "./volume";

/** UTF-8 bytes [p, p+len) to UCS-2 at dst (room for `cap` units): the units, or
 *  -ENAMETOOLONG, or -EINVAL for bytes that are no UTF-8. */
export function utf8ToUcs2(p: usize, len: u32, dst: usize, cap: u32 = NAME_UNITS): i32 {
  let n: u32 = 0, i: u32 = 0;
  while (i < len) {
    let b = <u32>load<u8>(p + i), c: u32, k: u32;
    if (b < 0x80) { c = b; k = 1; }
    else if ((b & 0xE0) == 0xC0) { c = b & 0x1F; k = 2; }
    else if ((b & 0xF0) == 0xE0) { c = b & 0x0F; k = 3; }
    else if ((b & 0xF8) == 0xF0) { c = b & 0x07; k = 4; }
    else return -EINVAL;
    if (i + k > len) return -EINVAL;
    for (let j: u32 = 1; j < k; j++) {
      let x = <u32>load<u8>(p + i + j);
      if ((x & 0xC0) != 0x80) return -EINVAL;
      c = (c << 6) | (x & 0x3F);
    }
    if ((k == 2 && c < 0x80) || (k == 3 && c < 0x800) || (k == 4 && (c < 0x10000 || c > 0x10FFFF)) || (c >= 0xD800 && c < 0xE000)) return -EINVAL;
    i += k;
    if (c >= 0x10000) {
      if (n + 2 > cap) return -ENAMETOOLONG;
      c -= 0x10000;
      store<u16>(dst + (<usize>n << 1), <u16>(0xD800 | (c >> 10)));
      store<u16>(dst + (<usize>n << 1) + 2, <u16>(0xDC00 | (c & 0x3FF)));
      n += 2;
    } else {
      if (n + 1 > cap) return -ENAMETOOLONG;
      store<u16>(dst + (<usize>n << 1), <u16>c);
      n++;
    }
  }
  return <i32>n;
}

/** UCS-2 units at src to UTF-8 at dst (room for 3 bytes a unit); the bytes written. An unpaired
 *  surrogate becomes U+FFFD. */
export function ucs2ToUtf8(src: usize, units: u32, dst: usize): u32 {
  let o: usize = 0;
  for (let i: u32 = 0; i < units; i++) {
    let c = <u32>load<u16>(src + (<usize>i << 1));
    if (c >= 0xD800 && c < 0xDC00 && i + 1 < units) {
      let d = <u32>load<u16>(src + (<usize>(i + 1) << 1));
      if (d >= 0xDC00 && d < 0xE000) { c = 0x10000 + ((c - 0xD800) << 10) + (d - 0xDC00); i++; }
    }
    if (c >= 0xD800 && c < 0xE000) c = 0xFFFD;
    if (c < 0x80) store<u8>(dst + o++, <u8>c);
    else if (c < 0x800) { store<u8>(dst + o++, <u8>(0xC0 | (c >> 6))); store<u8>(dst + o++, <u8>(0x80 | (c & 0x3F))); }
    else if (c < 0x10000) {
      store<u8>(dst + o++, <u8>(0xE0 | (c >> 12))); store<u8>(dst + o++, <u8>(0x80 | ((c >> 6) & 0x3F)));
      store<u8>(dst + o++, <u8>(0x80 | (c & 0x3F)));
    } else {
      store<u8>(dst + o++, <u8>(0xF0 | (c >> 18))); store<u8>(dst + o++, <u8>(0x80 | ((c >> 12) & 0x3F)));
      store<u8>(dst + o++, <u8>(0x80 | ((c >> 6) & 0x3F))); store<u8>(dst + o++, <u8>(0x80 | (c & 0x3F)));
    }
  }
  return <u32>o;
}

@inline function up(c: u32): u32 { return c >= 0x61 && c <= 0x7A ? c - 32 : c; }

/** Do the names match (ASCII case ignored)? */
export function sameName(a: usize, an: u32, b: usize, bn: u32): bool {
  if (an != bn) return false;
  for (let i: u32 = 0; i < an; i++) {
    if (up(<u32>load<u16>(a + (<usize>i << 1))) != up(<u32>load<u16>(b + (<usize>i << 1)))) return false;
  }
  return true;
}

/** Is this "." or ".."? */
export function isDots(p: usize, n: u32): bool {
  return (n == 1 || n == 2) && load<u16>(p) == 0x2E && (n == 1 || load<u16>(p, 2) == 0x2E);
}

/** 0 if the units are a name a new entry may have, else -EINVAL: no control characters, none of
 *  " * / : < > ? \ |, not "." or "..", not ending in a space or a dot. */
export function checkNewName(p: usize, n: u32): i32 {
  if (n == 0 || isDots(p, n)) return -EINVAL;
  for (let i: u32 = 0; i < n; i++) {
    let c = <u32>load<u16>(p + (<usize>i << 1));
    if (c < 0x20 || c == 0x22 || c == 0x2A || c == 0x2F || c == 0x3A || c == 0x3C || c == 0x3E || c == 0x3F || c == 0x5C || c == 0x7C) return -EINVAL;
  }
  let last = <u32>load<u16>(p + (<usize>(n - 1) << 1));
  return last == 0x20 || last == 0x2E ? -EINVAL : 0;
}

// A character allowed in a short name as is (after upper-casing).
function shortOk(c: u32): bool {
  if ((c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39)) return true;
  return c == 0x21 || c == 0x23 || c == 0x24 || c == 0x25 || c == 0x26 || c == 0x27 || c == 0x28 || c == 0x29 ||
    c == 0x2D || c == 0x40 || c == 0x5E || c == 0x5F || c == 0x60 || c == 0x7B || c == 0x7D || c == 0x7E;
}

/** The short-name basis of a long name into the 11 bytes at sfn (space padded). Returns
 *  0 when the name is that short name exactly (no long name needed), 1 when it is the same but
 *  for case (a long name keeps the case), 2 when characters were changed or cut (a ~N tail is
 *  needed). */
export function shortBasis(p: usize, n: u32, sfn: usize): u32 {
  memory.fill(sfn, 0x20, 11);
  let lastDot: i32 = -1;
  for (let i: u32 = 0; i < n; i++) if (load<u16>(p + (<usize>i << 1)) == 0x2E) lastDot = <i32>i;
  let lossy = false, cased = false, b: u32 = 0, e: u32 = 0, leading = true;
  for (let i: u32 = 0; i < n; i++) {
    let c = <u32>load<u16>(p + (<usize>i << 1));
    let inExt = lastDot >= 0 && <i32>i > lastDot;
    if (<i32>i == lastDot) { leading = false; continue; }
    if (c == 0x20 || (c == 0x2E && leading)) { lossy = true; continue; }     // spaces, leading dots
    leading = false;
    if (c == 0x2E) { lossy = true; continue; }                               // a dot in the base
    let u = up(c);
    if (u != c) cased = true;
    if (!shortOk(u)) { u = 0x5F; lossy = true; }
    if (inExt) { if (e < 3) store<u8>(sfn + 8 + e++, <u8>u); else lossy = true; }
    else { if (b < 8) store<u8>(sfn + b++, <u8>u); else lossy = true; }
  }
  if (b == 0) { store<u8>(sfn, 0x5F); lossy = true; }
  if (load<u8>(sfn) == 0xE5) store<u8>(sfn, 0x05);
  return lossy ? 2 : cased ? 1 : 0;
}

/** The basis with tail ~k (1 ≤ k ≤ 999999) into the 11 bytes at dst. */
export function withTail(basis: usize, k: u32, dst: usize): void {
  memory.copy(dst, basis, 11);
  let digits: u32 = k < 10 ? 1 : k < 100 ? 2 : k < 1000 ? 3 : k < 10000 ? 4 : k < 100000 ? 5 : 6;
  let base: u32 = 0;
  while (base < 8 && load<u8>(basis + base) != 0x20) base++;
  let at = min(base, 7 - digits);
  store<u8>(dst + at, 0x7E);
  for (let i = digits; i > 0; i--) { store<u8>(dst + at + i, <u8>(0x30 + k % 10)); k /= 10; }
  for (let i = at + digits + 1; i < 8; i++) store<u8>(dst + i, 0x20);
}

/** The checksum of an 8.3 name that its long-name entries carry. */
export function lfnChecksum(sfn: usize): u8 {
  let s: u32 = 0;
  for (let i = 0; i < 11; i++) s = (((s & 1) << 7) | ((s & 0xFF) >> 1)) + <u32>load<u8>(sfn + i);
  return <u8>s;
}

/** The short entry's name ("NAME.EXT", lower case where its NT case bits say) as UCS-2 at dst;
 *  the units. Bytes above 0x7F show as '_'. */
export function shortToUcs2(ent: usize, dst: usize): u32 {
  let nt = <u32>load<u8>(ent, 12), n: u32 = 0;
  for (let i: u32 = 0; i < 11; i++) {
    let c = <u32>load<u8>(ent + i);
    if (i == 0 && c == 0x05) c = 0xE5;
    if (c == 0x20) continue;
    if (i == 8) { store<u16>(dst + (<usize>n << 1), 0x2E); n++; }
    if (c >= 0x41 && c <= 0x5A && ((i < 8 && (nt & 0x08) != 0) || (i >= 8 && (nt & 0x10) != 0))) c += 32;
    if (c >= 0x80) c = 0x5F;
    store<u16>(dst + (<usize>n << 1), <u16>c); n++;
  }
  return n;
}
