// sys.ts: the system facts and calls a program uses directly: cores, clock, exit, arguments.
//
// Owns: thin typed wrappers over the platform interface and WASI's args/environ calls.
// Not: the platform interface itself (rt/platform.ts) or boot (boot.ts).

import { CORE_ID, CORE_COUNT, platform, wasi } from "~lib/rt/platform";
import { heapAlloc, heapFree } from "~lib/rt/heap";
import { TRACE, traceFlush } from "./trace";
import { report, reportDec, reportEnd } from "./console";
import { EXIT_TRAP } from "~lib/rt/abi";

/** This core's id, 0 .. coreCount()-1. */
// @ts-ignore: decorator
@inline export function coreId(): i32 { return CORE_ID; }
/** Number of cores the system runs on. */
// @ts-ignore: decorator
@inline export function coreCount(): i32 { return CORE_COUNT; }
/** Monotonic time in nanoseconds. */
// @ts-ignore: decorator
@inline export function now(): f64 { return platform.now_ns(); }
/** End the whole system (every core) with status `code`, 0..255. Another value is refused:
 *  "aam: exit(256): an exit status is 0..255; the system ends with status 70" on stderr, and the
 *  system ends with EXIT_TRAP (70), never with the value wrapped modulo 256. */
export function exit(code: i32): void { exitWith(code, "exit(", ")"); }

/** exit(code); the refusal names the caller as `before` code `after` ("exit(256)", "main
 *  returned 256"). */
export function exitWith(code: i32, before: string, after: string): void {
  if (code < 0 || code > 255) {
    report("aam: "); report(before);
    if (code < 0) { report("-"); reportDec(<u64>(-<i64>code)); } else reportDec(<u64>code);
    report(after); report(": an exit status is 0..255; the system ends with status ");
    reportDec(<u64>EXIT_TRAP); reportEnd();
    code = EXIT_TRAP;
  }
  if (TRACE) traceFlush();              // this core's last trace events
  platform.exit(code);
}

/** The command-line arguments given after `--` (argv[0] is the program name). */
export function args(): string[] {
  return strings(true);
}
/** The environment as "NAME=value" strings. */
export function environ(): string[] {
  return strings(false);
}

/** The integer value of environment variable `name` (ASCII), or `dflt` if it is not set or not a
 *  number; clamped to ±(2^31 − 1). Leaves nothing allocated: the runtime reads its own settings
 *  (AAM_STALL_MS) with it at boot. */
export function envInt(name: string, dflt: i32): i32 {
  let b = block(false);
  let v = dflt;
  let n = name.length;
  for (let i: u32 = 0; i < load<u32>(b); i++) {
    let p = <usize>load<u32>(b + 8 + (<usize>i << 2));
    let k = 0;
    while (k < n && load<u8>(p + k) == <u8>name.charCodeAt(k)) k++;
    if (k < n || load<u8>(p + n) != 0x3d) continue;           // "NAME="
    let q = p + n + 1, neg = load<u8>(q) == 0x2d, x: i64 = 0, digits = 0;
    if (neg) q++;
    while (load<u8>(q) >= 0x30 && load<u8>(q) <= 0x39) { x = min<i64>(x * 10 + <i64>(load<u8>(q) - 0x30), 0x7fffffff); q++; digits++; }
    if (digits && !load<u8>(q)) v = <i32>(neg ? -x : x);
  }
  blockFree(b);
  return v;
}

// WASI's argv or environment in two heap blocks: +0 count, +4 the strings' bytes, +8 a pointer per
// string (into those bytes). blockFree gives both back.
function block(argv: bool): usize {
  let sizes = heapAlloc(8);
  if (argv) wasi.args_sizes_get(sizes, sizes + 4); else wasi.environ_sizes_get(sizes, sizes + 4);
  let count = load<u32>(sizes);
  let bytes = load<u32>(sizes + 4);
  heapFree(sizes);
  let b = heapAlloc(<usize>count * 4 + 8);
  let buf = heapAlloc(<usize>bytes + 1);
  if (argv) wasi.args_get(b + 8, buf); else wasi.environ_get(b + 8, buf);
  store<u32>(b, count);
  store<u32>(b + 4, <u32>buf);
  return b;
}
function blockFree(b: usize): void {
  heapFree(<usize>load<u32>(b + 4));
  heapFree(b);
}

function strings(argv: bool): string[] {
  let b = block(argv);
  let count = load<u32>(b);
  let out = new Array<string>(count);
  for (let i: u32 = 0; i < count; i++) {
    let p = <usize>load<u32>(b + 8 + (<usize>i << 2));
    let end = p;
    while (load<u8>(end)) end++;
    out[i] = String.UTF8.decodeUnsafe(p, end - p, false);
  }
  blockFree(b);
  return out;
}
