// heap.ts: the thread-safe allocator behind `new`, strings and arrays on every core.
//
// Owns: small blocks (40 size classes, 16 B .. 16 KiB) carved from 64 KiB spans that belong to
// one core of one arena each, the per-core caches of those blocks, remote frees, large blocks
// (whole page runs), arenas, and the per-core counters of blocks and bytes in use.
//
// Arenas: arena 0 is the per-core records' heap part (abi.ts); each machine gets its own
// arena (machine.ts), a block of ARENA_STRIDE bytes per core with the same layout (counters,
// REMOTE, CACHE). A core allocates from the arena of the machine it serves (heapSetArena); a span
// remembers its arena, so a free finds its owner, and a kernel machine can check that a pointer
// lies in its caller's arena (heapInArena).
// Not: the pages themselves (pages.ts), object headers and the AS runtime interface (index.ts).
//
// Protocol, per size class c of core k (state in k's record, abi.ts):
//  1. alloc on k: pop k's local free list; else bump inside k's current span for c; else take
//     k's remote-free stack for c whole (xchg 0) and make it the free list; else get a new span.
//     No atomic instruction on steps 1–2.
//  2. free of a block b: the span header (b & ~0xFFFF) names owner and class. Owner == this core:
//     push on the local list (plain). Otherwise push on the owner's remote stack for c (cmpxchg)
//     and count it in the owner's RFREE counters (atomic add). The owner sees it in step 1.
//  3. A remote stack only grows by single pushes and shrinks by taking all of it, so there is no
//     ABA: a pusher's cmpxchg fails exactly when the head changed.
// Spans of small classes stay with their core for good (a core that allocated much keeps the
// pages); large blocks go back to pages.ts on free and can move to any size class later.
// Rejected: one global TLSF under a lock (AS's own; every alloc would contend), and per-core
// arenas without remote frees (a block freed on another core would leak or corrupt).
//
// ╒════════ span header (first 64 B of every 64 KiB span or large run) ════════╕
//  +0  MAGIC    SPAN_SMALL or SPAN_LARGE      written once when the span is taken
//  +4  CLASS    size class (small)             "
//  +8  OWNER    core that took the span         "
//  +12 PAGES    pages in the run (large)         "
//  +16 SIZE     block size in bytes (class size, or the large request rounded to 16)
//  +20 ARENA    arena the span belongs to (0: the per-core records)
//  +24 RECIP    small: floor(2^32 / SIZE) + 1, so that free's check that a pointer starts a block
//               is a multiply, not a division (~25 cycles on every free): for off, SIZE < 2^16,
//               (off · RECIP) >> 32 is off / SIZE exactly (the error is < off · SIZE / 2^32 / SIZE)
//  +28..63      reserved
//  +64 ...      blocks: small spans pack blocks of SIZE bytes; a large run has one block here.
// Blocks are 16-byte aligned; the word at b+4 holds FREED_MAGIC while a block is free (checked on
// free, to report double frees).

import { PAGE_SIZE, coreRec } from "./layout";
import {
  FW_NARENAS, FW_ARENAS, MAX_ARENAS, ARENA_STRIDE, CORE_ALLOC_COUNT, CORE_ALLOC_BYTES, CORE_FREE_COUNT, CORE_FREE_BYTES,
  CORE_RFREE_COUNT, CORE_RFREE_BYTES, CORE_REMOTE, CORE_CACHE, SCB_LARGE_BYTES, SCB_LARGE_COUNT,
} from "./abi";
import { cas32, xchg32, load32, add32, sub32, add64, load64, ownerAdd64 } from "./atomic";
import { pagesAlloc, pagesFree, heapStart, heapBrk, pagesMapRun, pagesRunOf } from "./pages";
import { CORE_ID, CORE_COUNT } from "./platform";
import { fail, failOutOfMemory } from "./trap";

// @ts-ignore: decorator
@inline export const NUM_CLASSES: u32 = 40;
// @ts-ignore: decorator
@inline export const MAX_SMALL: usize = 16384;
// @ts-ignore: decorator
@inline const SPAN_HDR: usize = 64;
// @ts-ignore: decorator
@inline const SPAN_SMALL: u32 = 0x5350414e;   // "SPAN"
// @ts-ignore: decorator
@inline const SPAN_LARGE: u32 = 0x4c415247;   // "LARG"
// @ts-ignore: decorator
@inline const FREED_MAGIC: u32 = 0xfeeefeee;
// @ts-ignore: decorator
@inline const H_MAGIC: usize = 0;
// @ts-ignore: decorator
@inline const H_CLASS: usize = 4;
// @ts-ignore: decorator
@inline const H_OWNER: usize = 8;
// @ts-ignore: decorator
@inline const H_PAGES: usize = 12;
// @ts-ignore: decorator
@inline const H_SIZE: usize = 16;
// @ts-ignore: decorator
@inline const H_ARENA: usize = 20;
// @ts-ignore: decorator
@inline const H_RECIP: usize = 24;

// Every size class has its REMOTE head and CACHE entry in a per-core record, and an arena block
// (ARENA_STRIDE bytes) holds the same words: checked at compile time against runtime/abi.json.
if (CORE_REMOTE + (<usize>NUM_CLASSES << 2) > CORE_CACHE || CORE_CACHE + (<usize>NUM_CLASSES << 4) > ARENA_STRIDE) {
  ERROR("rt/heap.ts: NUM_CLASSES size classes do not fit the per-core record or ARENA_STRIDE (runtime/abi.json)");
}

let arena: u32 = 0;        // per core: the arena this core allocates from now

/** Core `core`'s block of arena `a`. */
// @ts-ignore: decorator
@inline function arenaBlock(a: u32, core: i32): usize {
  return a ? <usize>load<u32>(FW_ARENAS + (<usize>(a - 1) << 2)) + <usize>core * ARENA_STRIDE : coreRec(core);
}

/** A new arena (zeroed blocks for every core, from arena 0); returns its number. Boot only. */
export function heapArenaNew(): u32 {
  let n = load<u32>(FW_NARENAS);
  if (n >= MAX_ARENAS) fail("heap: more than " + MAX_ARENAS.toString() + " arenas");
  let saved = arena;
  arena = 0;
  let bytes = <usize>CORE_COUNT * ARENA_STRIDE;
  let b = heapAlloc(bytes);
  memory.fill(b, 0, bytes);
  arena = saved;
  store<u32>(FW_ARENAS + (<usize>n << 2), <u32>b);
  store<u32>(FW_NARENAS, n + 1);
  return n + 1;
}

/** Allocate from arena `a` on this core until the next call (the scheduler sets its machine's). */
export function heapSetArena(a: u32): void { arena = a; }

/** What holds `p`, for a refusal's message: the arena of its span or large run (≥ 0), −1 when
 *  none (not the heap, free pages), −2 when p is in the header. */
export function heapArenaAt(p: usize): i32 {
  if (p < heapStart() || p >= heapBrk()) return -1;
  let span = spanAt(p);
  if (!span) return -1;
  if (p < span + SPAN_HDR) return -2;
  return <i32>load<u32>(span + H_ARENA);
}

/** Does [p, p+len) lie inside one live-looking block of arena `a`? (kernel argument checks) A
 *  pointer into a large block's later pages finds the header through the page map (pages.ts). */
export function heapInArena(a: u32, p: usize, len: usize): bool {
  if (p < heapStart() || p >= heapBrk() || len > heapBrk() - p) return false;
  let span = spanAt(p);
  if (!span || load<u32>(span + H_ARENA) != a) return false;
  if (p < span + SPAN_HDR) return false;
  let size = <usize>load<u32>(span + H_SIZE);
  let first = load<u32>(span + H_MAGIC) == SPAN_LARGE ? span + SPAN_HDR : span + SPAN_HDR + (p - span - SPAN_HDR) / size * size;
  return p + len <= first + size;
}

// The span or large run holding p (in the heap), or 0.
function spanAt(p: usize): usize {
  let span = p & ~(<usize>PAGE_SIZE - 1);
  let magic = load<u32>(span + H_MAGIC);
  let run = pagesRunOf(p);
  if (run && load<u32>(run + H_MAGIC) == SPAN_LARGE && p < run + (<usize>load<u32>(run + H_PAGES) << 16)) return run;
  return magic == SPAN_SMALL || magic == SPAN_LARGE ? span : 0;
}
// cache entry (CORE_CACHE + 16 × class)
// @ts-ignore: decorator
@inline const C_FREE: usize = 0;
// @ts-ignore: decorator
@inline const C_BUMP: usize = 4;
// @ts-ignore: decorator
@inline const C_END: usize = 8;
// @ts-ignore: decorator
@inline const C_SPANS: usize = 12;

/** Size class of a request of `size` bytes (1 ≤ size ≤ MAX_SMALL). */
// @ts-ignore: decorator
@inline export function classOf(size: usize): u32 {
  if (size <= 256) return <u32>((size + 15) >> 4) - (size ? 1 : 0);
  let k = <u32>(31 - clz<u32>(<u32>size - 1));     // 2^k < size ≤ 2^(k+1), k = 8..13
  let step = <usize>1 << (k - 2);
  let i = <u32>((size - (<usize>1 << k) + step - 1) >> (k - 2));  // 1..4
  return 16 + (k - 8) * 4 + i - 1;
}

/** Block size of class `c`. */
// @ts-ignore: decorator
@inline export function classSize(c: u32): usize {
  if (c < 16) return (<usize>c + 1) << 4;
  let k = (c - 16) / 4 + 8;
  let i = (c - 16) % 4 + 1;
  return (<usize>1 << k) + (<usize>i << (k - 2));
}

/** Allocate `size` bytes, 16-byte aligned. When memory is exhausted the running code fails with
 *  "out of memory allocating N bytes" (a task fails alone, rt/trap.ts failOutOfMemory). */
export function heapAlloc(size: usize): usize {
  if (size > MAX_SMALL) return allocLarge(size);
  let c = classOf(size);
  let rec = arenaBlock(arena, CORE_ID);
  let ent = rec + CORE_CACHE + (<usize>c << 4);
  let b = <usize>load<u32>(ent + C_FREE);
  if (b) {
    store<u32>(ent + C_FREE, load<u32>(b));
  } else {
    b = <usize>load<u32>(ent + C_BUMP);
    let sz = classSize(c);
    if (b && b + sz <= <usize>load<u32>(ent + C_END)) store<u32>(ent + C_BUMP, <u32>(b + sz));
    else if (!(b = refill(rec, ent, c, size))) return 0;    // out of memory in heapTryAlloc
  }
  store<u32>(b + 4, 0);                            // clear the freed mark
  ownerAdd64(rec + CORE_ALLOC_COUNT, 1);
  ownerAdd64(rec + CORE_ALLOC_BYTES, <u64>classSize(c));
  return b;
}

// Local list and bump area are empty: take the remote frees, else a fresh span.
function refill(rec: usize, ent: usize, c: u32, size: usize): usize {
  let list = <usize>xchg32(rec + CORE_REMOTE + (<usize>c << 2), 0);
  if (list) {
    store<u32>(ent + C_FREE, load<u32>(list));
    return list;
  }
  let span = pagesAlloc(1);
  if (!span) { outOfMemory(size); return 0; }
  let sz = classSize(c);
  store<u32>(span + H_MAGIC, SPAN_SMALL);
  store<u32>(span + H_CLASS, c);
  store<u32>(span + H_OWNER, <u32>CORE_ID);
  store<u32>(span + H_PAGES, 1);
  store<u32>(span + H_SIZE, <u32>sz);
  store<u32>(span + H_ARENA, arena);
  store<u32>(span + H_RECIP, <u32>(0xFFFFFFFF / <u32>sz) + 1);
  let first = span + SPAN_HDR;
  store<u32>(ent + C_BUMP, <u32>(first + sz));
  store<u32>(ent + C_END, <u32>(span + PAGE_SIZE));
  store<u32>(ent + C_SPANS, load<u32>(ent + C_SPANS) + 1);
  return first;
}

function allocLarge(size: usize): usize {
  if (size > 0x7FFF0000) { outOfMemory(size); return 0; }
  let rounded = (size + 15) & ~<usize>15;
  let pages = <u32>((rounded + SPAN_HDR + PAGE_SIZE - 1) >> 16);
  let run = pagesAlloc(pages);
  if (!run) { outOfMemory(size); return 0; }
  store<u32>(run + H_MAGIC, SPAN_LARGE);
  store<u32>(run + H_CLASS, 0xFFFFFFFF);
  store<u32>(run + H_OWNER, <u32>CORE_ID);
  store<u32>(run + H_PAGES, pages);
  store<u32>(run + H_SIZE, <u32>rounded);
  store<u32>(run + H_ARENA, arena);
  add32(SCB_LARGE_BYTES, <u32>rounded);
  add32(SCB_LARGE_COUNT, 1);
  pagesMapRun(run, pages, run);
  let b = run + SPAN_HDR;
  store<u32>(b + 4, 0);
  return b;
}

/** Usable size of block `b` (its class size, or the rounded large size). */
export function heapSize(b: usize): usize {
  return <usize>load<u32>(spanOf(b, "size of") + H_SIZE);
}

/** Free block `b`. Any core may free any block; a bad or twice-freed pointer is fatal. */
export function heapFree(b: usize): void {
  let span = spanOf(b, "free");
  if (load<u32>(span + H_MAGIC) == SPAN_LARGE) { freeLarge(span, b); return; }
  if (load<u32>(b + 4) == FREED_MAGIC) badPointer("double free", b);
  store<u32>(b + 4, FREED_MAGIC);
  let c = load<u32>(span + H_CLASS);
  let owner = <i32>load<u32>(span + H_OWNER);
  let sz = <u64>load<u32>(span + H_SIZE);
  let rec = arenaBlock(load<u32>(span + H_ARENA), owner);
  if (owner == CORE_ID) {
    let ent = rec + CORE_CACHE + (<usize>c << 4);
    store<u32>(b, load<u32>(ent + C_FREE));
    store<u32>(ent + C_FREE, <u32>b);
    ownerAdd64(rec + CORE_FREE_COUNT, 1);
    ownerAdd64(rec + CORE_FREE_BYTES, sz);
    return;
  }
  let head = rec + CORE_REMOTE + (<usize>c << 2);      // step 2: push on the owner's stack
  let old = load32(head);
  while (true) {
    store<u32>(b, old);
    let seen = cas32(head, old, <u32>b);
    if (seen == old) break;
    old = seen;
  }
  add64(rec + CORE_RFREE_COUNT, 1);
  add64(rec + CORE_RFREE_BYTES, sz);
}

function freeLarge(run: usize, b: usize): void {
  if (b != run + SPAN_HDR) badPointer("free of a pointer inside a large block", b);
  let pages = load<u32>(run + H_PAGES);
  let size = load<u32>(run + H_SIZE);
  store<u32>(run + H_MAGIC, 0);                     // a second free now fails the magic check
  pagesMapRun(run, pages, 0);
  sub32(SCB_LARGE_BYTES, size);
  sub32(SCB_LARGE_COUNT, 1);
  pagesFree(run, pages);
}

// The span of block b, after checking that b can be a live block at all.
function spanOf(b: usize, what: string): usize {
  if (b < heapStart() || b >= heapBrk() || (b & 15) != 0) badPointer(what + " of a pointer outside the heap", b);
  let span = b & ~(<usize>PAGE_SIZE - 1);
  let magic = load<u32>(span + H_MAGIC);
  if (magic == SPAN_SMALL) {
    let off = b - span - SPAN_HDR;
    let q = <u32>((<u64>off * <u64>load<u32>(span + H_RECIP)) >> 32);   // off / SIZE (RECIP above)
    if (b < span + SPAN_HDR || q * load<u32>(span + H_SIZE) != <u32>off) badPointer(what + " of a pointer inside a block", b);
  } else if (magic != SPAN_LARGE) {
    badPointer(what + " of a pointer not from the allocator", b);
  }
  return span;
}

function badPointer(msg: string, b: usize): void {
  fail("heap: " + msg + ": 0x" + (<u32>b).toString(16));
}

// Allocates nothing (the heap is exhausted: building the message with `+` would come back here);
// pages.ts released its lock before returning 0, so a task that runs out of memory fails alone.
function outOfMemory(size: usize): void {
  if (tryDepth) { tryFailed = true; return; }
  failOutOfMemory(size);
}

// heapTryAlloc: while tryDepth > 0 on this core, running out of memory sets tryFailed instead of
// failing, and the allocation returns 0.
let tryDepth: u32 = 0;
let tryFailed = false;

/** heapAlloc, but 0 when memory is exhausted instead of failing (a failure path that must not
 *  fail again: the error text of a task that ran out of memory, sched/dispatch.ts). */
export function heapTryAlloc(size: usize): usize {
  tryDepth++;
  tryFailed = false;
  let b = heapAlloc(size);
  tryDepth--;
  return tryFailed ? 0 : b;
}

/** Blocks of core `core` in use, over every arena: allocated by it, not yet freed by anyone. */
export function heapBlocksInUse(core: i32): u64 {
  let k: u64 = 0;
  for (let a: u32 = 0; a <= load<u32>(FW_NARENAS); a++) {
    let rec = arenaBlock(a, core);
    k += load64(rec + CORE_ALLOC_COUNT) - load64(rec + CORE_FREE_COUNT) - load64(rec + CORE_RFREE_COUNT);
  }
  return k;
}
/** Bytes of those blocks (size-class bytes). */
export function heapBytesInUse(core: i32): u64 {
  let k: u64 = 0;
  for (let a: u32 = 0; a <= load<u32>(FW_NARENAS); a++) k += arenaBytes(a, core);
  return k;
}
function arenaBytes(a: u32, core: i32): u64 {
  let rec = arenaBlock(a, core);
  return load64(rec + CORE_ALLOC_BYTES) - load64(rec + CORE_FREE_BYTES) - load64(rec + CORE_RFREE_BYTES);
}
/** Bytes in live large blocks (all cores). */
export function heapLargeBytes(): u64 { return <u64>load32(SCB_LARGE_BYTES); }
/** Live large blocks (all cores). */
export function heapLargeCount(): u32 { return load32(SCB_LARGE_COUNT); }
