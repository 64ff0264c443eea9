// signal.ts: counting signals (semaphores) and what is built on them: Mutex and WaitGroup.
//
// Owns: the signal record and its waiter queue, the wait-group record. Not: blocking itself
// (task/context.ts) or the done-word protocol a wait group reuses (future.ts).
//
// ╒════════ signal (16 bytes) ════════╕
//  +0  LOCK   spinlock over the FIFO (lock order: 4)
//  +4  COUNT  i32 available units: wait's fast path cmpxchg c → c−1, signal atomic add; no lock
//  +8  HEAD   +12 TAIL  FIFO of waiting tasks linked through T_NEXT, changed under LOCK; HEAD is
//             also stored atomically, since signal reads it without the lock
// Protocol:
//  1. wait, fast path: while COUNT > 0, cmpxchg COUNT c → c−1; success returns (no lock).
//  2. wait, slow path: suspend(ENQ_WAIT_SIGNAL); once off its stack the scheduler calls
//     signalRegister: under LOCK, append the task to the FIFO (HEAD store), then hand out (4).
//  3. signal: COUNT += 1 (atomic add), then load HEAD: empty → done, no lock; else hand out (4).
//  4. hand out, under LOCK: while the FIFO is not empty and COUNT > 0, cmpxchg COUNT c → c−1 and
//     pop the oldest waiter; the popped tasks are made ready after the unlock.
// No unit is left unused while a task waits: 3 writes COUNT then reads HEAD, 2 writes HEAD then
// (in 4) reads COUNT, all seq-cst, so at least one of them sees the other and hands the unit
// out. A unit may go to a fast-path wait that comes at that moment rather than to the oldest
// waiter (barging), which is why 4 loops on COUNT. model/signal.pml checks the protocol.
// Rejected: handing every unit out under LOCK (three locked operations per signal, and every
// machine call returns a credit: issue 15), and a 64-bit count+list word, whose pop by several
// signallers has the ABA problem.
//
// ╒════════ wait group (8 bytes) ════════╕
//  +0 COUNT  tasks still to call done() (atomic sub)   +4 WORD  done word (future.ts)

import { load32, store32, cas32, add32, sub32, lock, unlock } from "~lib/rt/atomic";
import { heapAlloc, heapFree } from "~lib/rt/heap";
import { fail } from "~lib/rt/trap";
import { T_NEXT, DONE } from "../task/task";
import { suspend } from "../task/context";
import { makeReady, ENQ_WAIT_SIGNAL } from "./sched";
import { completeWord, waitWord } from "./future";

// @ts-ignore: decorator
@inline const G_LOCK: usize = 0;
// @ts-ignore: decorator
@inline const G_COUNT: usize = 4;
// @ts-ignore: decorator
@inline const G_HEAD: usize = 8;
// @ts-ignore: decorator
@inline const G_TAIL: usize = 12;

/** Step 2's second half, run by the scheduler after the waiting task left its stack. */
export function signalRegister(g: usize, t: usize): void {
  lock(g + G_LOCK, "signal");
  store<u32>(t + T_NEXT, 0);
  let tail = <usize>load<u32>(g + G_TAIL);
  if (tail) store<u32>(tail + T_NEXT, <u32>t); else store32(g + G_HEAD, <u32>t);
  store<u32>(g + G_TAIL, <u32>t);
  handOut(g);
}

// Step 4: under LOCK (released here), units to the oldest waiters; they are made ready after
// the unlock, linked through T_NEXT in FIFO order.
function handOut(g: usize): void {
  let first: usize = 0, last: usize = 0;
  while (true) {
    let t = <usize>load<u32>(g + G_HEAD);
    if (!t) break;
    let c = <i32>load32(g + G_COUNT);
    if (c <= 0) break;
    if (cas32(g + G_COUNT, <u32>c, <u32>(c - 1)) != <u32>c) continue;
    let next = load<u32>(t + T_NEXT);
    store32(g + G_HEAD, next);
    if (!next) store<u32>(g + G_TAIL, 0);
    store<u32>(t + T_NEXT, 0);
    if (last) store<u32>(last + T_NEXT, <u32>t); else first = t;
    last = t;
  }
  unlock(g + G_LOCK);
  while (first) { let n = <usize>load<u32>(first + T_NEXT); makeReady(first); first = n; }
}

@unmanaged
export class Signal {
  /** A signal with `units` available; free it with dispose() when no task uses it any more. */
  static create(units: i32 = 0): Signal {
    let g = heapAlloc(16);
    store<u32>(g + G_LOCK, 0);
    store<i32>(g + G_COUNT, units);
    store<u32>(g + G_HEAD, 0);
    store<u32>(g + G_TAIL, 0);
    return changetype<Signal>(g);
  }
  /** Take a unit, blocking this task until one is there. */
  wait(): void {
    if (!this.tryWait()) suspend(ENQ_WAIT_SIGNAL, changetype<usize>(this));
  }
  /** Take a unit if one is there now (step 1 only). */
  tryWait(): bool {
    let g = changetype<usize>(this);
    while (true) {
      let c = <i32>load32(g + G_COUNT);
      if (c <= 0) return false;
      if (cas32(g + G_COUNT, <u32>c, <u32>(c - 1)) == <u32>c) return true;
    }
  }
  /** Add `n` units, waking up to n waiting tasks (step 3). */
  signal(n: i32 = 1): void {
    let g = changetype<usize>(this);
    if (n <= 0) return;
    add32(g + G_COUNT, <u32>n);
    if (load32(g + G_HEAD) == 0) return;       // nobody waits: no lock
    lock(g + G_LOCK, "signal");
    handOut(g);
  }
  /** Units available now (negative never; waiters are not counted). */
  get units(): i32 { return <i32>load32(changetype<usize>(this) + G_COUNT); }
  /** This Signal as a task argument: `spawn(fn, s.asArg())`, then `Signal.fromArg(t.arg0)`. */
  asArg(): u64 { return <u64>changetype<usize>(this); }
  // @ts-ignore: decorator
  @inline static fromArg(arg: u64): Signal {
    if (<u32>arg == 0 || (arg >> 32) != 0) fail("Signal.fromArg: not a signal");
    return changetype<Signal>(<usize>arg);
  }
  dispose(): void {
    let g = changetype<usize>(this);
    if (load32(g + G_HEAD)) fail("signal: disposed while tasks wait on it");
    heapFree(g);
  }
}

/** Mutual exclusion between tasks (a signal with one unit). A blocked lock() blocks the task only. */
@unmanaged
export class Mutex {
  static create(): Mutex { return changetype<Mutex>(Signal.create(1)); }
  lock(): void { changetype<Signal>(this).wait(); }
  tryLock(): bool { return changetype<Signal>(this).tryWait(); }
  /** Let the next waiting task in; a mutex that no task holds is a misuse (it would admit two). */
  unlock(): void {
    if (changetype<Signal>(this).units > 0) fail("mutex: unlock of a mutex that is not locked");
    changetype<Signal>(this).signal(1);
  }
  dispose(): void { changetype<Signal>(this).dispose(); }
  /** This Mutex as a task argument: `spawn(fn, m.asArg())`, then `Mutex.fromArg(t.arg0)`. */
  asArg(): u64 { return <u64>changetype<usize>(this); }
  // @ts-ignore: decorator
  @inline static fromArg(arg: u64): Mutex {
    if (<u32>arg == 0 || (arg >> 32) != 0) fail("Mutex.fromArg: not a mutex");
    return changetype<Mutex>(<usize>arg);
  }
}

/** Wait until `count` tasks called done(). One-shot: it cannot be reused once it reached zero. */
@unmanaged
export class WaitGroup {
  static create(count: u32): WaitGroup {
    let w = heapAlloc(8);
    store<u32>(w, count);
    store<u32>(w + 4, count == 0 ? DONE : 0);
    return changetype<WaitGroup>(w);
  }
  add(n: u32): void {
    let w = changetype<usize>(this);
    if (load32(w + 4) == DONE) fail("waitgroup: add after it reached zero");
    add32(w, n);
  }
  done(): void {
    let w = changetype<usize>(this);
    let before = sub32(w, 1);
    if (before == 0) fail("waitgroup: done() called more often than counted");
    if (before == 1) completeWord(w + 4, 0);
  }
  wait(): void { waitWord(changetype<usize>(this) + 4); }
  dispose(): void { heapFree(changetype<usize>(this)); }
  /** This WaitGroup as a task argument: `spawn(fn, w.asArg())`, then `WaitGroup.fromArg(t.arg0)`. */
  asArg(): u64 { return <u64>changetype<usize>(this); }
  // @ts-ignore: decorator
  @inline static fromArg(arg: u64): WaitGroup {
    if (<u32>arg == 0 || (arg >> 32) != 0) fail("WaitGroup.fromArg: not a wait group");
    return changetype<WaitGroup>(<usize>arg);
  }
}
