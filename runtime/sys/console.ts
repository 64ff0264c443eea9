// console.ts: text output of a core, through WASI fd_write on fds 1 and 2.
//
// Owns: UTF-16 → UTF-8 conversion into a per-call heap buffer and the fd_write call; the
// runtime's reports on stderr (report*), which allocate nothing. The host line-buffers per core,
// so a line printed by one core never mixes with another core's.
// Not: formatting of numbers (the standard library's toString, made thread-safe by rt/index.ts).

import { wasi, CORE_ID } from "~lib/rt/platform";
import { coreRec } from "~lib/rt/layout";
import { CORE_SCRATCH, CORE_SCRATCH_SIZE } from "~lib/rt/abi";
import { heapAlloc, heapFree } from "~lib/rt/heap";
import { putDec, putHex } from "~lib/rt/text";

/** Write `s` to stdout (no newline added). */
export function print(s: string): void { write(1, s, false); }
/** Write `s` and a newline to stdout. */
export function println(s: string): void { write(1, s, true); }
/** Write `s` and a newline to stderr. */
export function eprintln(s: string): void { write(2, s, true); }

/** Nothing to do at present: the host flushes a core's partial line when the system stops. */
export function flushConsole(): void {}

function write(fd: i32, s: string, nl: bool): void {
  let n = String.UTF8.byteLength(s, false);
  let buf = heapAlloc(<usize>n + 1 + 16);               // text, newline, then the iovec and count
  String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, buf, false);
  if (nl) store<u8>(buf + n, 10);
  let len = n + (nl ? 1 : 0);
  let iov = (buf + <usize>len + 3) & ~<usize>3;
  store<u32>(iov, <u32>buf);
  store<u32>(iov + 4, <u32>len);
  wasi.fd_write(fd, iov, 1, iov + 8);
  heapFree(buf);
}

// Reports of the runtime (a failed task, a stall): written piece by piece on stderr, through this
// core's scratch area, without touching the heap: a task that ran out of memory is reported too,
// and a report must leave the heap as it was. Both hosts join a core's pieces until its newline
// (one line, never mixed with another core's). Usage: report("aam: …"); reportDec(n); …; reportEnd().
// The scratch area is also util/number's dtoa buffer: no float is formatted between the pieces.

// @ts-ignore: decorator
@inline const R_IOV: usize = CORE_SCRATCH_SIZE - 12;     // iovec (8 bytes) and fd_write's count
// @ts-ignore: decorator
@inline const R_TEXT: usize = 64;                          // UTF-16 staging for numbers, then UTF-8

/** Write `s` to stderr as part of a report line. */
export function report(s: string): void { reportChars(changetype<usize>(s), <usize>s.length << 1); }
/** Write `bytes` bytes of UTF-16 text at `p` as part of a report line. */
export function reportChars(p: usize, bytes: usize): void {
  let buf = coreRec(CORE_ID) + CORE_SCRATCH;
  let room = R_IOV;                                     // UTF-8 bytes per fd_write
  let i: usize = 0, n: usize = 0;
  while (i < bytes) {
    let c = <u32>load<u16>(p + i);
    i += 2;
    if (c >= 0xd800 && c < 0xdc00 && i < bytes) {       // a surrogate pair: one code point
      let lo = <u32>load<u16>(p + i);
      if (lo >= 0xdc00 && lo < 0xe000) { c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00); i += 2; }
    }
    if (c >= 0xd800 && c < 0xe000) c = 0x3f;            // a lone surrogate: '?'
    if (n + 4 > room) { put(buf, n); n = 0; }
    if (c < 0x80) store<u8>(buf + n++, <u8>c);
    else if (c < 0x800) { store<u8>(buf + n++, <u8>(0xc0 | c >> 6)); store<u8>(buf + n++, <u8>(0x80 | (c & 0x3f))); }
    else if (c < 0x10000) {
      store<u8>(buf + n++, <u8>(0xe0 | c >> 12)); store<u8>(buf + n++, <u8>(0x80 | ((c >> 6) & 0x3f)));
      store<u8>(buf + n++, <u8>(0x80 | (c & 0x3f)));
    } else {
      store<u8>(buf + n++, <u8>(0xf0 | c >> 18)); store<u8>(buf + n++, <u8>(0x80 | ((c >> 12) & 0x3f)));
      store<u8>(buf + n++, <u8>(0x80 | ((c >> 6) & 0x3f))); store<u8>(buf + n++, <u8>(0x80 | (c & 0x3f)));
    }
  }
  if (n) put(buf, n);
}
/** Write `v` in decimal as part of a report line. */
export function reportDec(v: u64): void { digits(putDec(coreRec(CORE_ID) + CORE_SCRATCH + R_TEXT, v)); }
/** Write `v` in hexadecimal (no prefix) as part of a report line. */
export function reportHex(v: u64): void { digits(putHex(coreRec(CORE_ID) + CORE_SCRATCH + R_TEXT, v)); }
/** End the report line. */
export function reportEnd(): void { report("\n"); }

// The digits staged at R_TEXT (UTF-16, ASCII) go out as UTF-8 from the start of the scratch area.
function digits(bytes: usize): void {
  let buf = coreRec(CORE_ID) + CORE_SCRATCH;
  for (let i: usize = 0; i < bytes; i += 2) store<u8>(buf + (i >> 1), load<u8>(buf + R_TEXT + i));
  put(buf, bytes >> 1);
}

function put(buf: usize, n: usize): void {
  let iov = buf + R_IOV;
  store<u32>(iov, <u32>buf);
  store<u32>(iov + 4, <u32>n);
  wasi.fd_write(2, iov, 1, iov + 8);
}
