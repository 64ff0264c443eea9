// atomic.ts: every atomic operation and every wait of the system goes through here.
//
// Owns: the choice of instruction for each shared-memory access kind, so that they can be swapped
// (e.g. for a model checker, or counted) in one place. wasm atomics are sequentially consistent,
// which is what the protocols in this tree assume; none relies on anything weaker.
// Not: parking (platform.park/wake; the image has no wait/notify instruction because wasm2c
// cannot translate them, see docs/ARCHITECTURE.md), nor policy about when to spin or park.
//
// Compiled as a library file (~lib/rt/atomic): see rt/index.ts.
//
// System spinlocks are counted per core (core record FC_LOCKS, with the name of the last one
// taken in FC_LOCK_NAME): a trap while a core holds one ends the system, because the data the
// lock guards may be half-updated (docs/ARCHITECTURE.md "Traps"). The hosts read both words.
//
// Lock order (a core holding a lock may take only locks further down this list):
//  0. net            (aams/net/stack.ts: the network stack's one lock; under it the stack
//                     signals Signals (which may take 1 and 4), allocates (8), starts and
//                     cancels timers (9) and hands frames to the driver (7))
//  1. manager        (machine/manager.ts; decisions, assignments)
//  2. machine        (machine/imc.ts connect: a machine's interface lists)
//  3. ordered calls  (machine/imc.ts: an interface's ordered-call list)
//  4. signal         (sched/signal.ts: a signal's waiter FIFO)
//  5. inject list    (task/queue.ts: a scheduler's overflow list)
//  6. foreign module (service/foreign.ts: one foreign module's calls; the failure message of a
//                     call is allocated under it)
//  7. virtqueue      (dev/virtio.ts: one virtqueue's free descriptors and rings; nothing is
//                     allocated under it)
//  8. pages          (rt/pages.ts: the page allocator; any allocation may take it)
//  9. timer          (sched/timer.ts: the pending timers; nothing is taken or allocated under it,
//                     so a core holding any lock above may start or cancel a timer)
// The runtime's own paths nest none of 1–9 except through an allocation (6); net (0) nests the
// others; the order is what a new path must keep.

import { CORE_ID } from "./platform";
import { coreRec, DEBUG } from "./layout";
import { FC_LOCKS, FC_LOCK_NAME } from "./abi";

// @ts-ignore: decorator
@inline export function load32(addr: usize): u32 { return atomic.load<u32>(addr); }
// @ts-ignore: decorator
@inline export function store32(addr: usize, v: u32): void { atomic.store<u32>(addr, v); }
// @ts-ignore: decorator
@inline export function add32(addr: usize, v: u32): u32 { return atomic.add<u32>(addr, v); }
// @ts-ignore: decorator
@inline export function sub32(addr: usize, v: u32): u32 { return atomic.sub<u32>(addr, v); }
// @ts-ignore: decorator
@inline export function xchg32(addr: usize, v: u32): u32 { return atomic.xchg<u32>(addr, v); }
/** Compare-and-swap; returns the value found (== expected on success). */
// @ts-ignore: decorator
@inline export function cas32(addr: usize, expected: u32, v: u32): u32 {
  return atomic.cmpxchg<u32>(addr, expected, v);
}
// @ts-ignore: decorator
@inline export function load64(addr: usize): u64 { return atomic.load<u64>(addr); }
// @ts-ignore: decorator
@inline export function store64(addr: usize, v: u64): void { atomic.store<u64>(addr, v); }
// @ts-ignore: decorator
@inline export function add64(addr: usize, v: u64): u64 { return atomic.add<u64>(addr, v); }
// @ts-ignore: decorator
@inline export function cas64(addr: usize, expected: u64, v: u64): u64 {
  return atomic.cmpxchg<u64>(addr, expected, v);
}
// @ts-ignore: decorator
@inline export function fence(): void { atomic.fence(); }

/** Spinlock acquire: cmpxchg 0→1, spinning on plain loads between tries (test-and-test-and-set).
 *  `name` (a string literal: static data) names the lock in a trap report; programs' own
 *  spinlocks ("aam/atomic") count as held locks too. */
export function lock(addr: usize, name: string = "spinlock"): void {
  while (atomic.cmpxchg<u32>(addr, 0, 1) != 0) {
    while (atomic.load<u32>(addr) != 0) {}
  }
  held(name);
}
/** One try at the lock; true if taken. */
export function tryLock(addr: usize, name: string): bool {
  if (atomic.cmpxchg<u32>(addr, 0, 1) != 0) return false;
  held(name);
  return true;
}
/** Release a lock taken with lock/tryLock. */
export function unlock(addr: usize): void {
  let rec = coreRec(CORE_ID);
  if (DEBUG) assert(load<u32>(rec + FC_LOCKS) > 0, "atomic: unlock with no lock held");
  store<u32>(rec + FC_LOCKS, load<u32>(rec + FC_LOCKS) - 1);
  atomic.store<u32>(addr, 0);
}
// Owner-only words: this core is the only writer; the host reads them after a trap.
// @ts-ignore: decorator
@inline function held(name: string): void {
  let rec = coreRec(CORE_ID);
  store<u32>(rec + FC_LOCKS, load<u32>(rec + FC_LOCKS) + 1);
  store<u32>(rec + FC_LOCK_NAME, changetype<u32>(name));
}

/** 16-bit words shared with a device (virtqueue rings, dev/virtio.ts). */
// @ts-ignore: decorator
@inline export function load16(addr: usize): u16 { return atomic.load<u16>(addr); }
// @ts-ignore: decorator
@inline export function store16(addr: usize, v: u16): void { atomic.store<u16>(addr, v); }

/** Owner-only counter bump: plain read, plain write of a word only its owner writes. */
// @ts-ignore: decorator
@inline export function ownerAdd64(addr: usize, v: u64): void { store<u64>(addr, load<u64>(addr) + v); }

/** Raise the word at `addr` to at least `v` (a peak counter); lock-free cmpxchg loop. */
export function atomicMax32(addr: usize, v: u32): void {
  let cur = atomic.load<u32>(addr);
  while (cur < v) {
    let seen = atomic.cmpxchg<u32>(addr, cur, v);
    if (seen == cur) return;
    cur = seen;
  }
}
