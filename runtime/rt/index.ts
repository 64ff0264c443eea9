// rt/index.ts: the AssemblyScript runtime interface of a system image (`__new`, `__alloc`, …).
//
// Owns: the mapping of asc's runtime entry points onto heap.ts, the object header asc expects,
// and the per-core scratch area that replaces the standard library's static number buffer.
// Not: the allocator itself (heap.ts, pages.ts), nor boot (runtime/boot.ts).
//
// How it gets in: the build registers this file as asc's library file `rt/index-stub` and the
// other files of runtime/rt/ as `rt/<name>`, then compiles with `--runtime stub`. Passing a custom
// runtime by path instead would make asc add a 32 KiB shadow stack whose pointer starts at the same
// address in every instance (a data race between cores); the stub runtime gets none.
// Consequently files here import each other relatively ("./heap") and everything else imports
// them as "~lib/rt/<name>"; importing them by a disk path would compile a second copy.
//
// Ownership rule (there is no tracing GC): an object lives until it is freed. Code that creates
// short-lived strings or arrays in a loop frees them with `heap.free(changetype<usize>(obj))` when
// it knows no reference remains, or accepts the growth; the scheduler and queues of the framework
// free their own records. `__collect` does nothing.
//
// ╒══════════ object layout (asc's, unchanged) ══════════╕
//  b-4  mmInfo   unused (asc's BLOCK header; never read outside its own runtimes)
//  b+0  gcInfo   0
//  b+4  gcInfo2  0 (heap.ts also uses this word as the freed mark of a free block)
//  b+8  rtId     class id
//  b+12 rtSize   payload size in bytes
//  b+16 payload  ← the object pointer
// where b is the block from heap.ts.

import { OBJECT, OBJECT_OVERHEAD, OBJECT_MAXSIZE, BLOCK_OVERHEAD } from "~lib/rt/common";   // assemblyscript's own (std/assembly/rt/common.ts)
import { heapAlloc, heapFree, heapSize } from "./heap";
import { coreRec, PAGE_SIZE } from "./layout";
import { CORE_SCRATCH, SCB_HEAP_STATE, OBJ_HEADER, OBJ_RT_ID, OBJ_RT_SIZE } from "./abi";
import { cas32, store32, load32 } from "./atomic";
import { pagesInit } from "./pages";
import { CORE_ID, wasi } from "./platform";
import { fail } from "./trap";

// asc's object header must be the one the hosts read (runtime/abi.json, record object): checked at
// compile time, so an assemblyscript upgrade that moves it stops the build instead of the hosts.
if (offsetof<OBJECT>("rtId") - BLOCK_OVERHEAD != OBJ_RT_ID || offsetof<OBJECT>("rtSize") - BLOCK_OVERHEAD != OBJ_RT_SIZE ||
    OBJECT_OVERHEAD != OBJ_HEADER) ERROR("rt/index.ts: asc's object header is not runtime/abi.json's record object");

// @ts-ignore: decorator
@unsafe @global
export function __alloc(size: usize): usize {
  return heapAlloc(size);
}

// @ts-ignore: decorator
@unsafe @global
export function __realloc(ptr: usize, size: usize): usize {
  let have = heapSize(ptr);
  if (size <= have) return ptr;
  let n = heapAlloc(size);
  memory.copy(n, ptr, have);
  heapFree(ptr);
  return n;
}

// @ts-ignore: decorator
@unsafe @global
export function __free(ptr: usize): void {
  heapFree(ptr);
}

// @ts-ignore: decorator
@unsafe @global
export function __reset(): void {
  fail("heap: __reset is not supported on a shared heap");
}

// @ts-ignore: decorator
@unsafe @global
export function __new(size: usize, id: u32): usize {
  if (size > OBJECT_MAXSIZE) fail("heap: object of " + size.toString() + " bytes is too large");
  let b = heapAlloc(OBJECT_OVERHEAD + size);
  let obj = changetype<OBJECT>(b - BLOCK_OVERHEAD);
  obj.gcInfo = 0;
  obj.gcInfo2 = 0;
  obj.rtId = id;
  obj.rtSize = <u32>size;
  return b + OBJECT_OVERHEAD;
}

// @ts-ignore: decorator
@unsafe @global
export function __renew(oldPtr: usize, size: usize): usize {
  if (size > OBJECT_MAXSIZE) fail("heap: object of " + size.toString() + " bytes is too large");
  let b = __realloc(oldPtr - OBJECT_OVERHEAD, OBJECT_OVERHEAD + size);
  changetype<OBJECT>(b - BLOCK_OVERHEAD).rtSize = <u32>size;
  return b + OBJECT_OVERHEAD;
}

// @ts-ignore: decorator
@global @unsafe
export function __link(parentPtr: usize, childPtr: usize, expectMultiple: bool): void {}

// @ts-ignore: decorator
@global @unsafe
export function __pin(ptr: usize): usize { return ptr; }

// @ts-ignore: decorator
@global @unsafe
export function __unpin(ptr: usize): void {}

// @ts-ignore: decorator
@global @unsafe
function __visit(ptr: usize, cookie: u32): void {}

// @ts-ignore: decorator
@global @unsafe
export function __collect(): void {}

/** Set up the heap once, before any module-level code can allocate. The generated aam_entry
 *  (tools/build/link.ts) calls it on every core right after the static data is in place: the
 *  first core to cmpxchg HEAP_STATE 0→1 initialises the page allocator, the others wait for 2. */
// @ts-ignore: decorator
@global
export function __aam_heap_setup(): void {
  if (cas32(SCB_HEAP_STATE, 0, 1) == 0) {
    pagesInit((__heap_base + PAGE_SIZE - 1) & ~(<usize>PAGE_SIZE - 1));
    store32(SCB_HEAP_STATE, 2);
    return;
  }
  while (load32(SCB_HEAP_STATE) != 2) {}
}

/** This core's scratch buffer (CORE_SCRATCH_SIZE bytes); replaces util/number's static dtoa_buf. */
// @ts-ignore: decorator
@global @unsafe
export function __aam_scratch(): usize {
  return coreRec(CORE_ID) + CORE_SCRATCH;
}

/** Seed for Math.random (asc's `seed` hook): platform entropy, never an extra import. */
// @ts-ignore: decorator
@global
export function __aam_seed(): f64 {
  let buf = coreRec(CORE_ID) + CORE_SCRATCH;
  wasi.random_get(buf, 8);
  return <f64>(load<u64>(buf) >>> 11) + 1.0;
}
