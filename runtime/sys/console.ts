// console.ts: text output of a core, through WASI fd_write on fds 1 and 2.
//
// Owns: UTF-16 → UTF-8 conversion into a per-call heap buffer and the fd_write call. The host
// line-buffers per core, so a line printed by one core never mixes with another core's.
// Not: formatting of numbers (the standard library's toString, made thread-safe by rt/index.ts).

import { wasi } from "~lib/rt/platform";
import { heapAlloc, heapFree } from "~lib/rt/heap";

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
