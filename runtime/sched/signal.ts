// signal.ts: counting signals (semaphores) and what is built on them: Mutex and WaitGroup.
//
// Owns: the signal record and its waiter queue, the wait-group record. Not: blocking itself
// (task/context.ts) or the done-word protocol a wait group reuses (future.ts).
//
// ╒════════ signal (16 bytes) ════════╕
//  +0  LOCK   spinlock over HEAD/TAIL and over COUNT increments by signal() (lock order: 4)
//  +4  COUNT  i32 available units. wait's fast path: cmpxchg c → c−1 without the lock.
//  +8  HEAD   +12 TAIL  FIFO of waiting tasks linked through T_NEXT (under LOCK)
// Protocol:
//  1. wait, fast path: while COUNT > 0, cmpxchg COUNT c → c−1; success returns (no lock).
//  2. wait, slow path: suspend(ENQ_WAIT_SIGNAL); once off its stack the scheduler calls
//     signalRegister: under LOCK, take a unit if COUNT > 0 (→ ready now) else join the FIFO.
//  3. signal: under LOCK, hand the unit to the oldest waiter (→ ready) or COUNT += 1.
// A unit can only be added while holding LOCK, and a waiter only queues while holding LOCK after
// seeing COUNT ≤ 0: so no unit is left unused while a task waits. The fast paths are wait-free;
// the slow paths hold a per-signal spinlock for a few instructions (rejected: a 64-bit
// count+list word, whose pop by several signallers has the ABA problem).
//
// ╒════════ wait group (8 bytes) ════════╕
//  +0 COUNT  tasks still to call done() (atomic sub)   +4 WORD  done word (future.ts)

import { load32, cas32, add32, sub32, lock, unlock } from "~lib/rt/atomic";
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
  while (true) {
    let c = <i32>load32(g + G_COUNT);
    if (c <= 0) break;
    if (cas32(g + G_COUNT, <u32>c, <u32>(c - 1)) == <u32>c) { unlock(g + G_LOCK); makeReady(t); return; }
  }
  store<u32>(t + T_NEXT, 0);
  let tail = <usize>load<u32>(g + G_TAIL);
  if (tail) store<u32>(tail + T_NEXT, <u32>t); else store<u32>(g + G_HEAD, <u32>t);
  store<u32>(g + G_TAIL, <u32>t);
  unlock(g + G_LOCK);
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
    for (let i = 0; i < n; i++) {
      lock(g + G_LOCK, "signal");
      let t = <usize>load<u32>(g + G_HEAD);
      if (t) {
        let next = load<u32>(t + T_NEXT);
        store<u32>(g + G_HEAD, next);
        if (!next) store<u32>(g + G_TAIL, 0);
        unlock(g + G_LOCK);
        makeReady(t);
      } else {
        add32(g + G_COUNT, 1);
        unlock(g + G_LOCK);
      }
    }
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
