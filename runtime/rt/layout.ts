// layout.ts: the shared-memory map, the one place that fixes addresses every core agrees on.
//
// Owns: the fixed-address regions below the static data (system control block, per-core records)
// and the word offsets inside them. Every word says who writes it, who reads it, and how.
// Not: the contents of the heap (heap.ts, pages.ts) or of the static data (asc places it at
// MEMORY_BASE; the build moves it there with --memoryBase).
//
// This file is compiled as a library file (~lib/rt/layout): see rt/index.ts for why.
//
// ╒═══════════════════ shared memory map (wasm32 byte addresses) ═══════════════════╕
//  0x00000000 ┌───────────────────────────────────────────────────────────────────┐
//             │ guard: never used, so that a null pointer never aliases live data │
//  0x00001000 ├───────────────────────────────────────────────────────────────────┤
//             │ SCB, system control block (256 B, layout below)                   │
//  0x00001100 ├───────────────────────────────────────────────────────────────────┤
//             │ reserved for the framework (machine table, manager state)         │
//  0x00004000 ├───────────────────────────────────────────────────────────────────┤
//             │ per-core records: MAX_CORES × CORE_REC_SIZE (64 × 2 KiB)          │
//  0x00024000 ├───────────────────────────────────────────────────────────────────┤
//             │ reserved                                                          │
//  0x00040000 ├───────────────────────────────────────────────────────────────────┤ MEMORY_BASE
//             │ static data: asc's data segments, made passive, copied once       │
//  heap start ├───────────────────────────────────────────────────────────────────┤ align64K(__heap_base)
//             │ heap: 64 KiB spans and large runs (pages.ts), up to memory.size() │
//             │ grows by memory.grow under the pages lock                         │
//             └───────────────────────────────────────────────────────────────────┘
// The hosts read MEMORY_BASE, SCB and the record size from the manifest the build writes.

// @ts-ignore: decorator
@inline export const PAGE_SIZE: u32 = 0x10000;        // wasm page = heap span = 64 KiB
// @ts-ignore: decorator
@inline export const MAX_CORES: i32 = 64;
// @ts-ignore: decorator
@inline export const SCB: usize = 0x1000;
// @ts-ignore: decorator
@inline export const FRAMEWORK_BASE: usize = 0x1100;
// @ts-ignore: decorator
@inline export const FRAMEWORK_END: usize = 0x4000;
// @ts-ignore: decorator
@inline export const CORE_BASE: usize = 0x4000;
// @ts-ignore: decorator
@inline export const CORE_REC_SIZE: usize = 0x800;
// @ts-ignore: decorator
@inline export const MEMORY_BASE: usize = 0x40000;    // must equal the build's --memoryBase

// ╒══════════════ SCB, system control block (at SCB) ══════════════╕
//  +0   DATA_STATE    0 → 1 → 2: static data not copied / being copied / ready.
//                     Written by the generated __aam_init_data (cmpxchg 0→1, store 2), read by
//                     every core's __aam_init_data (atomic load, spins while 1).
//  +4   HEAP_STATE    0 → 1 → 2: heap not set up / being set up / ready. cmpxchg by
//                     rt/index.ts __aam_heap_setup (called by aam_entry before module code).
//  +8   BOOT_UP       cores that finished per-core init (atomic add by each core; all read).
//  +12  BOOT_PERCORE  cores that finished the user's percore() (atomic add; all read).
//  +16  PAGES_LOCK    spinlock of the page allocator (rt/atomic.ts lock; lock order: 6).
//  +20  PAGES_BRK     first never-allocated heap byte. Under PAGES_LOCK; read by heap checks
//                     with an atomic load.
//  +24  PAGES_FREE    head of the free-run list (address order). Under PAGES_LOCK.
//  +28  HEAP_START    first heap byte (64 KiB aligned). Written once by boot (before HEAP_STATE=2).
//  +32  PAGES_INUSE   64 KiB pages handed out (spans + large runs). Under PAGES_LOCK.
//  +36  LARGE_BYTES   bytes in live large blocks. Atomic add/sub by any core.
//  +40  LARGE_COUNT   live large blocks. Atomic add/sub by any core.
//  +44  EXITING       0 until some core asks the system to stop (atomic store 1; all read).
//  +48  SCHED_STATE   0 → 1 → 2: default scheduler not created / being created / ready. cmpxchg
//                     by boot.ts.
//  +52..255 reserved
// @ts-ignore: decorator
@inline export const SCB_DATA_STATE: usize = SCB + 0;
// @ts-ignore: decorator
@inline export const SCB_HEAP_STATE: usize = SCB + 4;
// @ts-ignore: decorator
@inline export const SCB_BOOT_UP: usize = SCB + 8;
// @ts-ignore: decorator
@inline export const SCB_BOOT_PERCORE: usize = SCB + 12;
// @ts-ignore: decorator
@inline export const SCB_PAGES_LOCK: usize = SCB + 16;
// @ts-ignore: decorator
@inline export const SCB_PAGES_BRK: usize = SCB + 20;
// @ts-ignore: decorator
@inline export const SCB_PAGES_FREE: usize = SCB + 24;
// @ts-ignore: decorator
@inline export const SCB_HEAP_START: usize = SCB + 28;
// @ts-ignore: decorator
@inline export const SCB_PAGES_INUSE: usize = SCB + 32;
// @ts-ignore: decorator
@inline export const SCB_LARGE_BYTES: usize = SCB + 36;
// @ts-ignore: decorator
@inline export const SCB_LARGE_COUNT: usize = SCB + 40;
// @ts-ignore: decorator
@inline export const SCB_EXITING: usize = SCB + 44;
// @ts-ignore: decorator
@inline export const SCB_SCHED_STATE: usize = SCB + 48;

// ╒══════════════ per-core record (CORE_BASE + core × CORE_REC_SIZE, 2 KiB) ══════════════╕
//  +0    STATE          0 down / 1 booting / 2 running. Owner stores (atomic), all load.
//  +8    ALLOC_COUNT    u64 small blocks this core allocated.        Owner: plain add.
//  +16   ALLOC_BYTES    u64 bytes of those blocks (class sizes).      Owner: plain add.
//  +24   FREE_COUNT     u64 of this core's blocks freed on this core.  Owner: plain add.
//  +32   FREE_BYTES     u64 bytes of those.                           Owner: plain add.
//  +40   RFREE_COUNT    u64 of this core's blocks freed by others.    Others: atomic add.
//  +48   RFREE_BYTES    u64 bytes of those.                           Others: atomic add.
//        Counters are read by any core with atomic loads; a reader sees each word whole.
//        Blocks in use by core c = ALLOC_COUNT − FREE_COUNT − RFREE_COUNT (bytes likewise).
//  +64   REMOTE[48]     u32 heads of remote-free stacks, one per size class: other cores push
//                       (cmpxchg), the owner takes the whole stack (atomic xchg 0). No pop of a
//                       single element, hence no ABA. Its own cache lines, apart from the owner's.
//  +320  CACHE[48]      16 B per size class, owner only (plain):
//                       +0 free-list head, +4 bump pointer, +8 bump end, +12 spans taken
//  +1088 SCRATCH        128 B owner-only scratch (number formatting: util/number's dtoa buffer)
//  +1216 FRAMEWORK      832 B owned by the framework's per-core state (scheduler, later issues)
// @ts-ignore: decorator
@inline export const CORE_STATE: usize = 0;
// @ts-ignore: decorator
@inline export const CORE_ALLOC_COUNT: usize = 8;
// @ts-ignore: decorator
@inline export const CORE_ALLOC_BYTES: usize = 16;
// @ts-ignore: decorator
@inline export const CORE_FREE_COUNT: usize = 24;
// @ts-ignore: decorator
@inline export const CORE_FREE_BYTES: usize = 32;
// @ts-ignore: decorator
@inline export const CORE_RFREE_COUNT: usize = 40;
// @ts-ignore: decorator
@inline export const CORE_RFREE_BYTES: usize = 48;
// @ts-ignore: decorator
@inline export const CORE_REMOTE: usize = 64;
// @ts-ignore: decorator
@inline export const CORE_CACHE: usize = 320;
// @ts-ignore: decorator
@inline export const CORE_SCRATCH: usize = 1088;
// @ts-ignore: decorator
@inline export const CORE_SCRATCH_SIZE: usize = 128;
// @ts-ignore: decorator
@inline export const CORE_FRAMEWORK: usize = 1216;

// ╒══════════════ framework words (FRAMEWORK_BASE, 0x1100) ══════════════╕
//  +0   CTX_LIVE       contexts in existence (atomic add/sub by any core, context.ts)
//  +4   CTX_PEAK       highest CTX_LIVE seen (atomic max loop)
//  +8   BLOCKED_LIVE   tasks suspended right now (atomic add/sub, sched.ts)
//  +12  BLOCKED_PEAK   highest BLOCKED_LIVE seen (atomic max loop)
//  +16  DEFAULT_SCHED  the scheduler every core serves after boot (written once by core 0
//                      before BOOT_UP completes; read by all after the barrier)
//  +20  TASKS_LIVE     task records allocated and not freed (atomic add/sub, task.ts)
//  +24  TRAPPED        tasks that trapped (atomic add by the core that caught it)
//  +28  MANAGER        the Machine Manager's record (kernel/manager.ts); written once at boot by
//                      the core that creates the default scheduler, read by all after BOOT_UP
//  +32  NARENAS        allocator arenas created (heap.ts; written at boot only)
//  +36  SIGNALS_LIVE   IMS signal records allocated and not yet freed (kernel/ims.ts; atomic)
//  +40  HOST_MAILBOX   address of the host-call mailbox (runtime/host.ts), 0 until hostServe()
//                      allocated it: the serving task stores it once (atomic store); the host
//                      reads it (Atomics.load) before its first call
//  +44  HOST_BELL      doorbell: the host adds 1 (Atomics.add) after filling mailbox slots; cores
//                      compare it with HOST_SEEN between tasks and when idle (atomic loads)
//  +48  HOST_SEEN      the doorbell value last acknowledged: the core that moves it (cmpxchg to
//                      the HOST_BELL it read) signals the serving task; the host reads it
//                      (Atomics.load) to decide whether cores must be woken
//  +52  TRACE_FLOW     last flow id handed out for an IMS arrow (runtime/trace.ts; atomic add;
//                      only in --trace builds)
//  +64  ARENAS[32]     per arena a (1..32): address of its per-core blocks (heap.ts layout;
//                      written once when the arena is created, before any core uses it)
// @ts-ignore: decorator
@inline export const FW_CTX_LIVE: usize = FRAMEWORK_BASE + 0;
// @ts-ignore: decorator
@inline export const FW_CTX_PEAK: usize = FRAMEWORK_BASE + 4;
// @ts-ignore: decorator
@inline export const FW_BLOCKED_LIVE: usize = FRAMEWORK_BASE + 8;
// @ts-ignore: decorator
@inline export const FW_BLOCKED_PEAK: usize = FRAMEWORK_BASE + 12;
// @ts-ignore: decorator
@inline export const FW_DEFAULT_SCHED: usize = FRAMEWORK_BASE + 16;
// @ts-ignore: decorator
@inline export const FW_TASKS_LIVE: usize = FRAMEWORK_BASE + 20;
// @ts-ignore: decorator
@inline export const FW_TRAPPED: usize = FRAMEWORK_BASE + 24;
// @ts-ignore: decorator
@inline export const FW_MANAGER: usize = FRAMEWORK_BASE + 28;
// @ts-ignore: decorator
@inline export const FW_NARENAS: usize = FRAMEWORK_BASE + 32;
// @ts-ignore: decorator
@inline export const FW_SIGNALS_LIVE: usize = FRAMEWORK_BASE + 36;
// @ts-ignore: decorator
@inline export const FW_HOST_MAILBOX: usize = FRAMEWORK_BASE + 40;
// @ts-ignore: decorator
@inline export const FW_HOST_BELL: usize = FRAMEWORK_BASE + 44;
// @ts-ignore: decorator
@inline export const FW_HOST_SEEN: usize = FRAMEWORK_BASE + 48;
// @ts-ignore: decorator
@inline export const FW_TRACE_FLOW: usize = FRAMEWORK_BASE + 52;
// @ts-ignore: decorator
@inline export const FW_ARENAS: usize = FRAMEWORK_BASE + 64;
// @ts-ignore: decorator
@inline export const MAX_ARENAS: u32 = 32;
/** Bytes per core in an arena: the per-core record's heap part (+0 .. CORE_CACHE + 640). */
// @ts-ignore: decorator
@inline export const ARENA_STRIDE: usize = 1024;

// ╒══════════════ per-core framework counters (core record + CORE_FRAMEWORK) ══════════════╕
// All u64, written by the owner core only (plain adds), read by anyone (atomic load):
//  +0 TASKS_RUN  +8 TASKS_STOLEN  +16 CTX_ALLOCS  +24 CTX_FREES  +32 PARKS  +40 SPAWNS
//  +48 SUSPENDS  +56 CURRENT (u32: task running on this core, 0 between tasks; owner writes,
//  the host reads it after a trap, the stall detector at each tick with an atomic load)
//  +60 MACHINE (u32: id of the machine this core serves, 0 = none; owner writes, the host reads
//  it for --stats, the stall detector to name the machine)  +64 SWITCHES (u64 machine switches)
//  +72 MACH_PENDING (u64 tasks run for the current machine, not yet added to its counter)
//  +80 TRACE_RING (u32: this core's trace ring, runtime/trace.ts; owner stores once with an
//  atomic store, the host polls it; 0 in builds without --trace)
//  +84 LOCKS (u32: system spinlocks this core holds; owner writes, rt/atomic.ts lock/unlock; the
//  host reads it after a trap: non-zero makes the trap fatal)  +88 LOCK_NAME (u32: AS string
//  naming the lock taken last; same writer and reader)
// @ts-ignore: decorator
@inline export const FC_TASKS_RUN: usize = CORE_FRAMEWORK + 0;
// @ts-ignore: decorator
@inline export const FC_TASKS_STOLEN: usize = CORE_FRAMEWORK + 8;
// @ts-ignore: decorator
@inline export const FC_CTX_ALLOCS: usize = CORE_FRAMEWORK + 16;
// @ts-ignore: decorator
@inline export const FC_CTX_FREES: usize = CORE_FRAMEWORK + 24;
// @ts-ignore: decorator
@inline export const FC_PARKS: usize = CORE_FRAMEWORK + 32;
// @ts-ignore: decorator
@inline export const FC_SPAWNS: usize = CORE_FRAMEWORK + 40;
// @ts-ignore: decorator
@inline export const FC_SUSPENDS: usize = CORE_FRAMEWORK + 48;
// @ts-ignore: decorator
@inline export const FC_CURRENT: usize = CORE_FRAMEWORK + 56;
// @ts-ignore: decorator
@inline export const FC_MACHINE: usize = CORE_FRAMEWORK + 60;
// @ts-ignore: decorator
@inline export const FC_SWITCHES: usize = CORE_FRAMEWORK + 64;
// @ts-ignore: decorator
@inline export const FC_MACH_PENDING: usize = CORE_FRAMEWORK + 72;
// @ts-ignore: decorator
@inline export const FC_TRACE_RING: usize = CORE_FRAMEWORK + 80;
// @ts-ignore: decorator
@inline export const FC_LOCKS: usize = CORE_FRAMEWORK + 84;
// @ts-ignore: decorator
@inline export const FC_LOCK_NAME: usize = CORE_FRAMEWORK + 88;

/** Address of core `core`'s record. */
// @ts-ignore: decorator
@inline export function coreRec(core: i32): usize {
  return CORE_BASE + <usize>core * CORE_REC_SIZE;
}

// Compile-time switches, set by the build with --use: AAM_DEBUG (invariant checks).
// @ts-ignore: decorator
@inline export const DEBUG: bool = isDefined(AAM_DEBUG);
