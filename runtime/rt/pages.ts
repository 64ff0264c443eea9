// pages.ts: the shared page allocator, the slow path under every per-core heap cache.
//
// Owns: the heap area from HEAP_START to memory.size(), in runs of 64 KiB pages: a bump pointer
// (PAGES_BRK), an address-ordered free-run list with coalescing (PAGES_FREE), and memory.grow.
// All of it is guarded by one spinlock (SCB PAGES_LOCK). Callers are heap.ts (a new span for a
// size class, a large block) and nothing else.
// Not: small blocks, per-core caches, counters per core (heap.ts).
//
// Why one lock: pages move only when a core's cache for a size class runs dry or a block larger
// than the biggest class comes and goes; both are rare next to alloc/free, and the critical
// sections are a few dozen instructions. Rejected: a lock-free page stack (needs ABA tags and
// cannot coalesce) and per-core page pools (strand memory on cores that stopped allocating).
//
// ╒════════ free run (at its first page) ════════╕
//  +0  next   address of the next free run (higher address), 0 ends the list
//  +4  pages  length of this run in pages
// Free runs are owned by the lock holder; their contents are garbage beyond these two words.
//
// ╒════════ page map (the heap's first MAP_PAGES pages) ════════╕
//  u32 per 64 KiB page of the address space: for the 2nd and later pages of a large block's run,
//  the run's address; 0 otherwise. Written by the core that allocates or frees the run (heap.ts,
//  plain stores: the block's address reaches other cores only through a later atomic); read by
//  heapInArena, so that a kernel machine finds the header of a large block from a pointer into
//  any of its pages (user data fills those pages: nothing in them can be trusted).

import { PAGE_SIZE } from "./layout";
import { SCB_PAGES_LOCK, SCB_PAGES_BRK, SCB_PAGES_FREE, SCB_HEAP_START, SCB_PAGES_INUSE } from "./abi";
import { lock, unlock, load32, store32 } from "./atomic";

// @ts-ignore: decorator
@inline const RUN_NEXT: usize = 0;
// @ts-ignore: decorator
@inline const RUN_PAGES: usize = 4;

// @ts-ignore: decorator
@inline const MAP_PAGES: u32 = 4;          // 65 536 pages × 4 bytes

/** Set up an empty heap starting at `start` (64 KiB aligned), its page map first. Called once,
 *  by the boot winner. */
export function pagesInit(start: usize): void {
  store32(SCB_HEAP_START, <u32>start);
  store32(SCB_PAGES_BRK, <u32>start);
  store32(SCB_PAGES_FREE, 0);
  store32(SCB_PAGES_INUSE, 0);
  takeBrk(MAP_PAGES);
  memory.fill(start, 0, <usize>MAP_PAGES * PAGE_SIZE);
}

// The map's word for the page holding `addr`.
// @ts-ignore: decorator
@inline function mapWord(addr: usize): usize { return heapStart() + ((addr >> 16) << 2); }

/** Record `run` (n pages) as a large block's run (value = run) or forget it (value = 0). */
export function pagesMapRun(run: usize, n: u32, value: usize): void {
  for (let i: u32 = 1; i < n; i++) store<u32>(mapWord(run + (<usize>i << 16)), <u32>value);
}

/** The large block's run that the page holding `addr` belongs to past its first page, or 0. */
export function pagesRunOf(addr: usize): usize { return <usize>load<u32>(mapWord(addr)); }

/** First byte of the heap. */
export function heapStart(): usize { return <usize>load32(SCB_HEAP_START); }
/** First byte never handed out (everything at and above it is untouched). */
export function heapBrk(): usize { return <usize>load32(SCB_PAGES_BRK); }

/** Take a run of `n` pages; returns its address, or 0 when memory cannot grow that far. */
export function pagesAlloc(n: u32): usize {
  lock(SCB_PAGES_LOCK, "pages");
  let run = takeFree(n);
  if (!run) run = takeBrk(n);
  if (run) store<u32>(SCB_PAGES_INUSE, load<u32>(SCB_PAGES_INUSE) + n);
  unlock(SCB_PAGES_LOCK);
  return run;
}

/** Give back a run of `n` pages taken by pagesAlloc. */
export function pagesFree(run: usize, n: u32): void {
  lock(SCB_PAGES_LOCK, "pages");
  insertFree(run, n);
  store<u32>(SCB_PAGES_INUSE, load<u32>(SCB_PAGES_INUSE) - n);
  unlock(SCB_PAGES_LOCK);
}

// First fit over the address-ordered list; splits the run, keeping its tail on the list.
function takeFree(n: u32): usize {
  let prev: usize = 0;
  let run = <usize>load<u32>(SCB_PAGES_FREE);
  while (run) {
    let pages = load<u32>(run + RUN_PAGES);
    let next = <usize>load<u32>(run + RUN_NEXT);
    if (pages >= n) {
      let rest = run + <usize>n * PAGE_SIZE;
      if (pages > n) {
        store<u32>(rest + RUN_NEXT, <u32>next);
        store<u32>(rest + RUN_PAGES, pages - n);
        next = rest;
      }
      if (prev) store<u32>(prev + RUN_NEXT, <u32>next);
      else store<u32>(SCB_PAGES_FREE, <u32>next);
      return run;
    }
    prev = run;
    run = next;
  }
  return 0;
}

// Bump the break, growing memory when it passes memory.size(). Grows by at least 1/8 of the
// current size so that a growing heap calls memory.grow O(log n) times.
function takeBrk(n: u32): usize {
  let run = <usize>load<u32>(SCB_PAGES_BRK);
  let end = <u64>run + <u64>n * PAGE_SIZE;
  let have = <u64>memory.size() << 16;
  if (end > have) {
    let need = <i32>((end - have + PAGE_SIZE - 1) >> 16);
    let want = max(need, memory.size() >> 3);
    if (memory.grow(want) < 0 && memory.grow(need) < 0) return 0;
  }
  if (end > 0xFFFF0000) return 0;
  store32(SCB_PAGES_BRK, <u32>end);
  return run;
}

// Insert in address order and merge with the neighbours; a run ending at the break lowers it.
function insertFree(run: usize, n: u32): void {
  let prev: usize = 0;
  let next = <usize>load<u32>(SCB_PAGES_FREE);
  while (next && next < run) { prev = next; next = <usize>load<u32>(next + RUN_NEXT); }
  let end = run + <usize>n * PAGE_SIZE;
  if (next && end == next) {                       // merge with the run after
    n += load<u32>(next + RUN_PAGES);
    next = <usize>load<u32>(next + RUN_NEXT);
    end = run + <usize>n * PAGE_SIZE;
  }
  if (prev && prev + <usize>load<u32>(prev + RUN_PAGES) * PAGE_SIZE == run) {  // merge before
    run = prev;
    n += load<u32>(prev + RUN_PAGES);
    prev = findPrev(run);
  }
  if (end == <usize>load<u32>(SCB_PAGES_BRK)) {    // the top run: give it back to the break
    store32(SCB_PAGES_BRK, <u32>run);
    linkAfter(prev, next);
    return;
  }
  store<u32>(run + RUN_NEXT, <u32>next);
  store<u32>(run + RUN_PAGES, n);
  linkAfter(prev, run);
}

function findPrev(run: usize): usize {
  let prev: usize = 0;
  let it = <usize>load<u32>(SCB_PAGES_FREE);
  while (it && it < run) { prev = it; it = <usize>load<u32>(it + RUN_NEXT); }
  return prev;
}

// @ts-ignore: decorator
@inline function linkAfter(prev: usize, run: usize): void {
  if (prev) store<u32>(prev + RUN_NEXT, <u32>run);
  else store<u32>(SCB_PAGES_FREE, <u32>run);
}
