// future.ts: futures (a task's result, complete once) and the wait-word protocol they share
// with wait groups.
//
// Owns: the future word of a task record (task/task.ts FUTURE) and any other "done word": waiting,
// completing, continuations. Not: the task record's lifetime (task/task.ts refcount), scheduling.
//
// A done word is 0 (pending, no waiter), DONE, or the head of a list of waiting tasks linked
// through T_NEXT. Protocol:
//  1. wait, fast path: load the word; DONE → the value is there (one load, wait-free).
//  2. wait, slow path: suspend(ENQ_WAIT_WORD, word); after the task left its stack the scheduler
//     calls registerWaiter: cmpxchg the task onto the list, or, if the word is DONE by then,
//     make the task ready at once. The task is never on the list while still on its stack.
//  3. complete: store the result, then xchg the word to DONE (wait-free); every task on the old
//     list is made ready (FIFO order: the list is reversed first). A continuation gets the
//     value in ARG0 before it is made ready.
// A lost wake-up would need a waiter to join the list after the xchg: step 2 re-reads the word
// in the same cmpxchg that publishes it, and a cmpxchg against DONE fails.
//
// Hand-over of a machine call's result to a caller that spins for it (issue 15: the result
// queue's push, pop and notification cost cache-line transfers per call):
//  h1. the caller, the word's only waiter so far, cmpxchg 0 → SPINNING (sched.ts schedSpinFor);
//      or callSync, whose future nobody else sees, stores SPINNING into the record before it
//      publishes the call (machine/imc.ts issue), so no cmpxchg meets the server on the line;
//  h2. the server, when the handler returned (machine/imc.ts callComplete): RESULT and the
//      interface (in NEXT) stored, cmpxchg SPINNING → HANDED; if that succeeds the call does not
//      go through the result queue: the caller sees HANDED and finishes it on its own core
//      (imc.ts imcHandoff: DONE, the queue's reference, the credit); a caller that drops its
//      handle at once (callSync, join) leaves HANDED to the HANDED_RELEASE hook instead (imc.ts
//      imcHandedRelease: the credit and the slot's FREED bit, no write to the record: nobody
//      else may use a handle its owner releases); else as before (step 3);
//  h3. a caller that gives up spinning cmpxchg SPINNING → 0 and suspends (step 2); if that
//      fails, the word is HANDED (it finishes the call) or DONE (completed through the queue
//      while it spun: step 3 treats SPINNING as an empty list).
// Exactly one of h2's and h3's cmpxchg succeeds, so a result is handed over or queued, never
// both and never lost. Another waiter on the same future that finds SPINNING or HANDED retries
// until the spinner is done with the word (at most its spin window). model/handoff.pml checks
// the protocol.

import { load32, cas32, xchg32 } from "~lib/rt/atomic";
import { DEBUG } from "~lib/rt/layout";
import { fail } from "~lib/rt/trap";
import { T_NEXT, T_KIND, T_FUTURE, T_RESULT, T_ARG0, T_ENQ, DONE, SPINNING, HANDED, FLAG_WANTS_VALUE, FLAG_FAILED, FLAG_MESSAGE, FLAG_REFUSED, taskRelease, taskNew, TaskFn } from "../task/task";
import { suspend } from "../task/context";
import { makeReady, ENQ_WAIT_WORD, spawnTask, currentSched, schedSpinFor, schedRunHere, schedHandedRelease } from "./sched";

/** Step 2's second half, run by the scheduler (or by then() for a continuation). */
export function registerWaiter(word: usize, t: usize): void {
  while (true) {
    let w = load32(word);
    if (w == SPINNING || w == HANDED) continue;      // h: the caller spins on it, briefly
    if (w == DONE) {
      if (load<u32>(t + T_KIND) & FLAG_WANTS_VALUE) store<u64>(t + T_ARG0, load<u64>(word - T_FUTURE + T_RESULT));
      makeReady(t);
      return;
    }
    store<u32>(t + T_NEXT, w);
    if (cas32(word, w, <u32>t) == w) return;
  }
}

/** Step 3 for the word at `word`; `value` goes to continuations. */
export function completeWord(word: usize, value: u64): void {
  let w = <usize>xchg32(word, DONE);
  if (w == DONE) fail("future: completed twice (word 0x" + (<u32>word).toString(16) + ")");
  if (DEBUG) assert(w != HANDED, "future: a handed-over call completed through its queue");
  if (w == SPINNING) w = 0;                       // h3: the spinning caller is no list
  let prev: usize = 0;                           // reverse: waiters run in the order they came
  while (w) { let n = <usize>load<u32>(w + T_NEXT); store<u32>(w + T_NEXT, <u32>prev); prev = w; w = n; }
  while (prev) {
    let n = <usize>load<u32>(prev + T_NEXT);
    if (load<u32>(prev + T_KIND) & FLAG_WANTS_VALUE) store<u64>(prev + T_ARG0, value);
    makeReady(prev);
    prev = n;
  }
}

/** Steps 1–2: block the running task until the word is DONE. Before it suspends, a task that
 *  is the only work of its core waits actively for up to CAP (sched.ts schedSpinFor:
 *  taking in call results), which saves the unwind and rewind of its stack when the result is
 *  a few microseconds away. */
export function waitWord(word: usize, keep: bool = false): void {
  if (load32(word) == DONE) return;
  if (schedSpinFor(word, false, keep)) return;
  suspend(ENQ_WAIT_WORD, word);
}

/** waitWord for a word that is SPINNING already for this task (h1 by the call's issuer). */
export function waitClaimed(word: usize, keep: bool = false): void {
  if (schedSpinFor(word, true, keep)) return;
  suspend(ENQ_WAIT_WORD, word);
}

/** Was call `t` refused before its handler ran (its error says why), rather than failed in it? */
export function callRefused(t: usize): bool { return (load<u32>(t + T_KIND) & FLAG_REFUSED) != 0; }

export function futureComplete(t: usize, result: u64): void {
  store<u64>(t + T_RESULT, result);
  completeWord(t + T_FUTURE, result);
}

/** A task's future: the handle spawn() returns. Release it (or join) exactly once. */
@unmanaged
export class Future {
  /** Block this task until the task finished; returns its result. Keeps the handle. A task that
   *  has not started and that this core can take runs at once, on the caller's stack (inline
   *  join, sched.ts i1–i3; a trap in it still fails only it). */
  wait(): u64 {
    let t = changetype<usize>(this);
    if (load32(t + T_FUTURE) == 0) schedRunHere(t);   // inline join (sched.ts i1–i3)
    waitWord(t + T_FUTURE);
    return load<u64>(t + T_RESULT);
  }
  /** wait(), then release the handle. A machine call's result handed over in place (h2) is
   *  finished and freed in one step (hook HANDED_RELEASE). */
  join(): u64 {
    let t = changetype<usize>(this);
    if (load32(t + T_FUTURE) == 0) schedRunHere(t);   // as wait()
    waitWord(t + T_FUTURE, true);
    let v = load<u64>(t + T_RESULT);
    if (load32(t + T_FUTURE) == HANDED && schedHandedRelease(t)) return v;   // h2, finished and freed at once
    this.release();
    return v;
  }
  /** True once the task finished (never blocks). */
  get done(): bool { return load32(changetype<usize>(this) + T_FUTURE) == DONE; }
  /** True if the task failed: it trapped (the future completed with 0), or a machine call was
   *  refused (completed with the error code). */
  get failed(): bool { return (load<u32>(changetype<usize>(this) + T_KIND) & FLAG_FAILED) != 0; }
  /** What happened to a failed task ("call stack exhausted", "out of memory allocating N bytes",
   *  the message of a fail(), why a call was refused …), "" while it has not failed. Lives as
   *  long as the handle. */
  get error(): string {
    let t = changetype<usize>(this);
    return load<u32>(t + T_KIND) & FLAG_MESSAGE ? changetype<string>(<usize>load<u32>(t + T_ENQ)) : "";
  }
  /** The result; only meaningful once done. */
  get value(): u64 { return load<u64>(changetype<usize>(this) + T_RESULT); }
  /** Give up this handle; the record goes when the task has finished too. */
  release(): void { taskRelease(changetype<usize>(this)); }
  /** This handle as a task argument: `spawn(fn, f.asArg())`, then `Future.fromArg(t.arg0)`. */
  asArg(): u64 { return <u64>changetype<usize>(this); }
  // @ts-ignore: decorator
  @inline static fromArg(arg: u64): Future {
    if (<u32>arg == 0 || (arg >> 32) != 0) fail("Future.fromArg: not a future");
    return changetype<Future>(<usize>arg);
  }
  /** Schedule fn(value, a1, a2) as a new task when this future completes; returns its future. */
  then(fn: TaskFn, a1: u64 = 0, a2: u64 = 0): Future {
    let s = currentSched();
    if (!s) fail("then: no scheduler yet");
    let c = taskNew(fn.index, s, 0, a1, a2, false);
    store<u32>(c + T_KIND, FLAG_WANTS_VALUE);
    registerWaiter(changetype<usize>(this) + T_FUTURE, c);
    return changetype<Future>(c);
  }
}
