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
// Hand-over of a machine call's result to its caller in place (issue 15: the result queue's
// push, pop and notification cost cache-line transfers per call):
//  h1. the word is claimed: SPINNING. The issuer stores it into the record before it publishes
//      the call (machine/imc.ts issue: callSync always, call() for a call in a slot), so no
//      cmpxchg of the caller meets the server on the line; or a waiter spinning on the word of a
//      call in a slot, still 0, cmpxchg 0 → SPINNING (sched.ts schedSpinFor; not a heap record's:
//      its credit would stay out until the handle's release, h4). A claim says "take the result
//      in place", not "someone spins now": the owner of a call() may be busy elsewhere;
//  h2. the server, when the handler returned (machine/imc.ts callComplete): RESULT (and for a
//      heap record the interface, in NEXT) stored, cmpxchg SPINNING → HANDED; if that succeeds
//      the call does not go through the result queue. HANDED is "the result is there": every
//      waiter takes it as DONE (wait, done, registerWaiter); only the handle's release (h4)
//      finishes the call;
//  h3. a spinning waiter that gives up, or a handle released before the result (release),
//      cmpxchg SPINNING → 0; if that fails the word is HANDED or DONE (the result is there) or
//      a list (h5 took the claim away: suspend too);
//  h4. the handle's release finds HANDED: the call is finished on the releasing core (imc.ts
//      imcHandoff: DONE, the queue's reference, a heap record's credit), or, by a caller that
//      drops its handle at once (callSync, join), with no write to the record (imc.ts
//      imcHandedRelease, hook HANDED_RELEASE). Plain stores: the server let go with h2, the
//      handle's holder is the only one that finishes, and other waiters only read;
//  h5. registerWaiter (step 2) finds SPINNING: cmpxchg SPINNING → 0 and go on (the result will
//      come through the queue and complete the list). Waiting for the claim to end instead
//      would wait forever for an owner that waits for this task.
// Exactly one of h2's and h3/h5's cmpxchg succeeds, so a result is handed over or queued, never
// both and never lost. model/handoff.pml checks the protocol, with a second waiting task.

import { load32, cas32, xchg32 } from "~lib/rt/atomic";
import { DEBUG } from "~lib/rt/layout";
import { fail } from "~lib/rt/trap";
import { T_NEXT, T_KIND, T_FUTURE, T_RESULT, T_ARG0, T_ENQ, DONE, SPINNING, HANDED, FLAG_WANTS_VALUE, FLAG_FAILED, FLAG_MESSAGE, FLAG_REFUSED, T_REFS, taskRelease, taskFree, taskNew, TaskFn } from "../task/task";
import { suspend } from "../task/context";
import { makeReady, ENQ_WAIT_WORD, spawnTask, currentSched, schedSpinFor, schedRunHere, INLINE_KEPT, schedHandedRelease, schedHandOff } from "./sched";

/** Step 2's second half, run by the scheduler (or by then() for a continuation). */
export function registerWaiter(word: usize, t: usize): void {
  while (true) {
    let w = load32(word);
    if (w == SPINNING) { cas32(word, SPINNING, 0); continue; }   // h5: the claim goes, the result will be queued
    if (w == DONE || w == HANDED) {                               // HANDED: the result is there (h4)
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
  if (w == SPINNING) w = 0;                       // a claim (h1) is no list: its waiters see DONE
  let prev: usize = 0;                           // reverse: waiters run in the order they came
  while (w) { let n = <usize>load<u32>(w + T_NEXT); store<u32>(w + T_NEXT, <u32>prev); prev = w; w = n; }
  while (prev) {
    let n = <usize>load<u32>(prev + T_NEXT);
    if (load<u32>(prev + T_KIND) & FLAG_WANTS_VALUE) store<u64>(prev + T_ARG0, value);
    makeReady(prev);
    prev = n;
  }
}

/** Steps 1–2: block the running task until the word is DONE (or HANDED: h2). Before it
 *  suspends, a task that is the only work of its core waits actively for up to CAP (sched.ts
 *  schedSpinFor: taking in call results), which saves the unwind and rewind of its stack when
 *  the result is a few microseconds away. */
export function waitWord(word: usize): void {
  let w = load32(word);
  if (w == DONE || w == HANDED) return;
  if (schedSpinFor(word)) return;
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
   *  join, sched.ts i1–i4; a trap in it still fails only it). */
  wait(): u64 {
    let t = changetype<usize>(this);
    if (load32(t + T_FUTURE) == 0 && schedRunHere(t) == INLINE_KEPT) taskRelease(t);   // inline join (sched.ts i1–i4)
    waitWord(t + T_FUTURE);
    return load<u64>(t + T_RESULT);
  }
  /** wait(), then release the handle. A machine call's result handed over in place (h2) is
   *  finished and freed in one step (hook HANDED_RELEASE); a task that finished in an inline
   *  join is freed with no write to its count (sched.ts i4). */
  join(): u64 {
    let t = changetype<usize>(this);
    if (load32(t + T_FUTURE) == 0 && schedRunHere(t) == INLINE_KEPT) {   // as wait()
      if (DEBUG) assert(load<u32>(t + T_REFS) == 2 && load32(t + T_FUTURE) == DONE, "future: an inline-joined task with other references");
      let r = load<u64>(t + T_RESULT);
      taskFree(t);
      return r;
    }
    waitWord(t + T_FUTURE);
    let v = load<u64>(t + T_RESULT);
    if (load32(t + T_FUTURE) == HANDED && schedHandedRelease(t)) return v;   // h4, finished and freed at once
    taskRelease(t);              // DONE (waitWord leaves no claim), or finished by imcHandoff just now
    return v;
  }
  /** True once the task finished (never blocks). */
  get done(): bool { let w = load32(changetype<usize>(this) + T_FUTURE); return w == DONE || w == HANDED; }
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
  /** Give up this handle; the record goes when the task has finished too. A machine call's
   *  claim goes back (h3), or its handed-over result is finished here (h4). */
  release(): void {
    let t = changetype<usize>(this), w = load32(t + T_FUTURE);
    if (w == SPINNING) w = cas32(t + T_FUTURE, SPINNING, 0);   // h3: nobody takes it in place now
    if (w == HANDED) schedHandOff(t);                            // h4
    taskRelease(t);
  }
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
