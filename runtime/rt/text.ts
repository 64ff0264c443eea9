// text.ts: the runtime's own messages, built without garbage.
//
// Owns: writing strings and numbers as UTF-16 into a buffer (no allocation: for failures that
// happen when memory may be exhausted, rt/trap.ts, and for reports, sys/console.ts), and `Text`,
// a message assembled in one heap block. Not: printing (sys/console.ts).
//
// Why: there is no tracing GC (rt/index.ts), so `"a" + b.toString() + "c"` leaves one garbage
// string per `+` and per toString. A message the runtime keeps (a refused call's error, freed
// with its task record) or prints must leave the heap as it was: Text grows one string object
// in place and hands it over whole; the writers below need no heap at all.
//
// Compiled as a library file (~lib/rt/text): see rt/index.ts. It imports nothing: the heap is
// reached through asc's runtime interface (__alloc, __new, __renew, __free: rt/index.ts).

/** Copy `s` as UTF-16 to `dst`; returns the bytes written. */
export function putStr(dst: usize, s: string): usize {
  let n = <usize>s.length << 1;
  memory.copy(dst, changetype<usize>(s), n);
  return n;
}

/** Write `v` in decimal as UTF-16 to `dst` (at most 40 bytes); returns the bytes written. */
export function putDec(dst: usize, v: u64): usize {
  let digits = 1;
  for (let x = v; x >= 10; x /= 10) digits++;
  let p = dst + (<usize>digits << 1);
  do { p -= 2; store<u16>(p, <u16>(0x30 + v % 10)); v /= 10; } while (v);
  return <usize>digits << 1;
}

/** Write `v` in lower-case hexadecimal (no prefix) as UTF-16 to `dst` (at most 32 bytes). */
export function putHex(dst: usize, v: u64): usize {
  let digits = 1;
  for (let x = v; x >= 16; x >>= 4) digits++;
  let p = dst + (<usize>digits << 1);
  do { p -= 2; let d = <u16>(v & 15); store<u16>(p, d < 10 ? 0x30 + d : 0x57 + d); v >>= 4; } while (v);
  return <usize>digits << 1;
}

// ╒════════ Text (16 bytes, heap) ════════╕
//  +0 STR  the string being built (an asc string object; its payload address)
//  +4 LEN  bytes written     +8 CAP  bytes the block holds
// @ts-ignore: decorator
@inline const X_STR: usize = 0;
// @ts-ignore: decorator
@inline const X_LEN: usize = 4;
// @ts-ignore: decorator
@inline const X_CAP: usize = 8;

/** A message under construction: `text("machine '").s(name).s("' has no method ").dec(m).done()`.
 *  Holds two heap blocks while it grows; `done()` frees the builder and returns the string, the
 *  only block left. */
@unmanaged
export class Text {
  /** Append `s`. */
  s(v: string): Text { putStr(this.room(<usize>v.length << 1), v); this.grew(<usize>v.length << 1); return this; }
  /** Append `bytes` bytes of UTF-16 text at `p`. */
  chars(p: usize, bytes: usize): Text { memory.copy(this.room(bytes), p, bytes); this.grew(bytes); return this; }
  /** Append `v` in decimal. */
  dec(v: u64): Text { this.grew(putDec(this.room(40), v)); return this; }
  /** Append a signed `v` in decimal. */
  int(v: i64): Text { if (v < 0) { this.s("-"); v = -v; } return this.dec(<u64>v); }
  /** Append `v` in hexadecimal (no prefix). */
  hex(v: u64): Text { this.grew(putHex(this.room(32), v)); return this; }
  /** The string; the builder is gone. */
  done(): string {
    let b = changetype<usize>(this);
    let str = <usize>load<u32>(b + X_STR);
    store<u32>(str - 4, load<u32>(b + X_LEN));           // asc's rtSize: the string's byte length
    __free(b);
    return changetype<string>(str);
  }

  // Where `bytes` more bytes go (growing the string's block if needed).
  private room(bytes: usize): usize {
    let b = changetype<usize>(this);
    let len = <usize>load<u32>(b + X_LEN), cap = <usize>load<u32>(b + X_CAP);
    let str = <usize>load<u32>(b + X_STR);
    if (len + bytes > cap) {
      cap = max(cap << 1, len + bytes);
      str = __renew(str, cap);
      store<u32>(b + X_STR, <u32>str);
      store<u32>(b + X_CAP, <u32>cap);
    }
    return str + len;
  }
  private grew(bytes: usize): void {
    let b = changetype<usize>(this);
    store<u32>(b + X_LEN, load<u32>(b + X_LEN) + <u32>bytes);
  }
}

/** Start a message with `first`. */
export function text(first: string): Text {
  let b = __alloc(16);
  let cap = max<usize>(64, <usize>first.length << 2);
  store<u32>(b + X_STR, <u32>__new(cap, idof<string>()));
  store<u32>(b + X_LEN, 0);
  store<u32>(b + X_CAP, <u32>cap);
  return changetype<Text>(b).s(first);
}
