// queue.ts: the two task queues of a scheduler: a core-local ring and the shared inject list.
//
// Owns: the ring (one per core per scheduler: FIFO, pushed only by its owner, popped by the
// owner and stolen from by other cores) and the inject list (FIFO, any core pushes and pops,
// under a spinlock; used for overflow and for tasks arriving from outside the scheduler).
// Not: the choice of queue (sched/sched.ts), the machine-call rings (mpmc.ts).
//
// Ring protocol (head: cmpxchg by owner and thieves; tail: plain store by the owner, seq-cst):
//  1. push (owner): if tail − head == cap the ring is full (the caller overflows to the inject
//     list); else slot[tail & mask] = t, then tail = tail + 1 (atomic store publishes the slot).
//  2. pop (owner) and steal (thief): read head h and tail; h == tail means empty; read
//     slot[h & mask .. h + n − 1]; cmpxchg head h → h + n. Success makes the n tasks the
//     caller's; failure means someone else took them: retry.
//  3. Why a slot read in step 2 cannot be stale when the cmpxchg succeeds: the owner writes
//     slot i only while tail − head < cap, i.e. after head passed i − cap; so slot h is not
//     rewritten while head is still h. Counters are u32 and wrap; 2^32 pops between a read and
//     its cmpxchg would be needed for an ABA.
//
// ╒════════ ring (cap = RING_SLOTS, a power of two) ════════╕
//  +0    HEAD   u32  index of the oldest task              cmpxchg: owner, thieves
//  +64   TAIL   u32  index one past the newest task         store: owner; load: all
//  +128  SLOTS  u32 × cap task addresses                     owner writes, all read
// HEAD and TAIL sit on separate cache lines so thieves polling HEAD do not slow the owner.
//
// ╒════════ inject list (inside the scheduler record, sched/sched.ts) ════════╕
//  LOCK u32 spinlock (lock order: 5); HEAD, TAIL u32 task addresses linked through T_NEXT; LEN u32 (atomic, so
//  an empty list costs one load and no lock).

import { heapAlloc } from "~lib/rt/heap";
import { load32, store32, cas32, add32, sub32, lock, unlock } from "~lib/rt/atomic";
import { T_NEXT } from "./task";
import { DEBUG } from "~lib/rt/layout";

/** Ring capacity: `--define AAM_RING_SLOTS=N` (power of two ≥ 2); tests shrink it to 4. */
// @ts-ignore: decorator
@inline export const RING_SLOTS: u32 = isDefined(AAM_RING_SLOTS) ? <u32>AAM_RING_SLOTS : 256;
// @ts-ignore: decorator
@inline const MASK: u32 = RING_SLOTS - 1;
// @ts-ignore: decorator
@inline const R_HEAD: usize = 0;
// @ts-ignore: decorator
@inline const R_TAIL: usize = 64;
// @ts-ignore: decorator
@inline const R_SLOTS: usize = 128;

export function ringNew(): usize {
  let r = heapAlloc(R_SLOTS + (<usize>RING_SLOTS << 2));
  store32(r + R_HEAD, 0);
  store32(r + R_TAIL, 0);
  return r;
}

/** Step 1. Owner only. False when full. */
// @ts-ignore: decorator
@inline export function ringPush(r: usize, t: usize): bool {
  if (DEBUG) assert(t != 0 && (t & 15) == 0, "queue: pushing what is not a task record");   // 0 is pop's "empty"
  let tail = load<u32>(r + R_TAIL);              // only the owner writes TAIL
  if (tail - load32(r + R_HEAD) >= RING_SLOTS) return false;
  store<u32>(r + R_SLOTS + (<usize>(tail & MASK) << 2), <u32>t);
  store32(r + R_TAIL, tail + 1);
  return true;
}

/** Step 2 for one task (owner). 0 when empty. */
export function ringPop(r: usize): usize {
  while (true) {
    let h = load32(r + R_HEAD);
    if (h == load32(r + R_TAIL)) return 0;
    let t = <usize>load<u32>(r + R_SLOTS + (<usize>(h & MASK) << 2));
    if (cas32(r + R_HEAD, h, h + 1) == h) return t;
  }
}

/** Owner: take task `t` if it is the oldest in the ring (step 2 with a check); false if it is not
 *  there or a thief took it first. */
export function ringTakeIf(r: usize, t: usize): bool {
  let h = load32(r + R_HEAD);
  if (h == load32(r + R_TAIL)) return false;
  if (<usize>load<u32>(r + R_SLOTS + (<usize>(h & MASK) << 2)) != t) return false;
  return cas32(r + R_HEAD, h, h + 1) == h;
}

/** Tasks in the ring (a snapshot). */
// @ts-ignore: decorator
@inline export function ringLen(r: usize): u32 {
  return load32(r + R_TAIL) - load32(r + R_HEAD);
}

/** Step 2 for a thief: take half of `victim`'s tasks (at least one) into `mine` (which must be
 *  empty enough: the caller's own ring, checked empty just before). Returns one task to run
 *  now, or 0 if there was nothing to take. */
export function ringSteal(victim: usize, mine: usize): usize {
  while (true) {
    let h = load32(victim + R_HEAD);
    let tail = load32(victim + R_TAIL);
    let n = tail - h;
    if (n == 0) return 0;
    if (n > RING_SLOTS) continue;                     // head read before a later tail: again
    let take = n - (n >> 1);
    let first = <usize>load<u32>(victim + R_SLOTS + (<usize>(h & MASK) << 2));
    // Copy the rest into our own slots before claiming; only published if the claim succeeds.
    let myTail = load<u32>(mine + R_TAIL);
    let room = RING_SLOTS - (myTail - load32(mine + R_HEAD));
    if (take - 1 > room) take = room + 1;
    for (let i: u32 = 1; i < take; i++) {
      let t = load<u32>(victim + R_SLOTS + (<usize>((h + i) & MASK) << 2));
      store<u32>(mine + R_SLOTS + (<usize>((myTail + i - 1) & MASK) << 2), t);
    }
    if (cas32(victim + R_HEAD, h, h + take) == h) {
      store32(mine + R_TAIL, myTail + take - 1);
      return first;
    }
  }
}

// ── inject list ────────────────────────────────────────────────────────────────────────────
// Offsets inside the owning record (the scheduler passes the base address of the four words).
// @ts-ignore: decorator
@inline const I_LOCK: usize = 0;
// @ts-ignore: decorator
@inline const I_HEAD: usize = 4;
// @ts-ignore: decorator
@inline const I_TAIL: usize = 8;
// @ts-ignore: decorator
@inline const I_LEN: usize = 12;

export function injectPush(q: usize, t: usize): void {
  if (DEBUG) assert(t != 0 && (t & 15) == 0, "queue: injecting what is not a task record");
  store<u32>(t + T_NEXT, 0);
  lock(q + I_LOCK, "inject list");
  let tail = <usize>load<u32>(q + I_TAIL);
  if (tail) store<u32>(tail + T_NEXT, <u32>t);
  else store<u32>(q + I_HEAD, <u32>t);
  store<u32>(q + I_TAIL, <u32>t);
  add32(q + I_LEN, 1);
  if (DEBUG) checkInject(q);
  unlock(q + I_LOCK);
}

/** Oldest task, or 0. One atomic load when empty. */
export function injectPop(q: usize): usize {
  if (load32(q + I_LEN) == 0) return 0;
  lock(q + I_LOCK, "inject list");
  let t = <usize>load<u32>(q + I_HEAD);
  if (t) {
    let next = load<u32>(t + T_NEXT);
    store<u32>(q + I_HEAD, next);
    if (!next) store<u32>(q + I_TAIL, 0);
    sub32(q + I_LEN, 1);
  }
  if (DEBUG) checkInject(q);
  unlock(q + I_LOCK);
  return t;
}

// Debug builds, under the list's lock, in O(1) (a walk would make long lists quadratic): HEAD,
// TAIL and LEN agree on emptiness, and TAIL is the last element.
function checkInject(q: usize): void {
  let empty = load32(q + I_LEN) == 0;
  assert(empty == (load<u32>(q + I_HEAD) == 0), "queue: inject LEN differs from the list");
  assert(empty == (load<u32>(q + I_TAIL) == 0), "queue: inject TAIL differs from LEN");
  if (!empty) assert(load<u32>(<usize>load<u32>(q + I_TAIL) + T_NEXT) == 0, "queue: inject TAIL is not the last task");
}

// @ts-ignore: decorator
@inline export function injectLen(q: usize): u32 { return load32(q + I_LEN); }
