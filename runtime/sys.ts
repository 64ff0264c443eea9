// sys.ts: the system facts and calls a program uses directly: cores, clock, exit, arguments.
//
// Owns: thin typed wrappers over the platform interface and WASI's args/environ calls.
// Not: the platform interface itself (rt/platform.ts) or boot (boot.ts).

import { CORE_ID, CORE_COUNT, platform, wasi } from "~lib/rt/platform";
import { heapAlloc, heapFree } from "~lib/rt/heap";

/** This core's id, 0 .. coreCount()-1. */
// @ts-ignore: decorator
@inline export function coreId(): i32 { return CORE_ID; }
/** Number of cores the system runs on. */
// @ts-ignore: decorator
@inline export function coreCount(): i32 { return CORE_COUNT; }
/** Monotonic time in nanoseconds. */
// @ts-ignore: decorator
@inline export function now(): f64 { return platform.now_ns(); }
/** End the whole system (every core) with status `code`. */
export function exit(code: i32): void { platform.exit(code); }

/** The command-line arguments given after `--` (argv[0] is the program name). */
export function args(): string[] {
  return strings(true);
}
/** The environment as "NAME=value" strings. */
export function environ(): string[] {
  return strings(false);
}

function strings(argv: bool): string[] {
  let sizes = heapAlloc(8);
  if (argv) wasi.args_sizes_get(sizes, sizes + 4); else wasi.environ_sizes_get(sizes, sizes + 4);
  let count = load<u32>(sizes);
  let bytes = load<u32>(sizes + 4);
  heapFree(sizes);
  let ptrs = heapAlloc(<usize>count * 4 + 4);
  let buf = heapAlloc(<usize>bytes + 1);
  if (argv) wasi.args_get(ptrs, buf); else wasi.environ_get(ptrs, buf);
  let out = new Array<string>(count);
  for (let i: u32 = 0; i < count; i++) {
    let p = <usize>load<u32>(ptrs + (<usize>i << 2));
    let end = p;
    while (load<u8>(end)) end++;
    out[i] = String.UTF8.decodeUnsafe(p, end - p, false);
  }
  heapFree(ptrs);
  heapFree(buf);
  return out;
}
