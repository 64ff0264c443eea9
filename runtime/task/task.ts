// task.ts: the task record, what a task is while it waits to run: a handler, its arguments and
// a future. No stack and no context while queued (context.ts gives one only to a blocked task).
//
// Owns: the 64-byte record layout, allocation (the heap's per-core 64-byte size class, i.e. a
// per-core free list; a machine call may live in a call slot instead, machine/imc.ts), and the
// reference count that frees a record.
// Also the word naming the task this core runs (currentTask), which contexts, the scheduler and
// trap recovery all read.
// Not: queues (queue.ts), running (sched/dispatch.ts), the future protocol (sched/future.ts).
//
// ╒═══════════════════ task record (64 bytes, 16-aligned) ═══════════════════╕
//  +0   NEXT    link on the one list holding the task: an inject list or a waiter list.
//               Written by whoever holds the task (plain); lists publish it with their own
//               atomic (see sched/future.ts, sched/sched.ts). A machine call in a call slot
//               waiting for its server: the slot's sequence word, odd (machine/imc.ts p1, store).
//  +4   FN      handler's function-table index, (t: Task) => u64. Written at spawn.
//  +8   CTX     saved context while blocked, else 0. Written by the core running the task.
//  +12  KIND    pending enqueue handler (sched/sched.ts ENQ_*), with FLAG_* bits above bit 8.
//               0 in a free call slot (machine/imc.ts): taskRelease stores it last (atomic).
//  +16  FUTURE  future word: 0 pending | DONE | head of the waiter list (a task address) |
//               SPINNING | HANDED (a machine call claimed for an in-place result: sched/future.ts).
//               xchg by the completer, cmpxchg by waiters, the handle's release and the call's
//               server; HANDED → DONE: plain store at the handle's release, which alone
//               finishes a handed-over call (imcHandoff).
//  +20  REFS    references: 2 at spawn (scheduler + handle), 1 if detached. atomic sub; 0 frees.
//               A handed-over call's handle release drops the queue's reference with a plain
//               store: the server let go and nobody else finishes it (machine/imc.ts imcHandoff).
//               A task that finished in an inline join hands the scheduler's reference to its
//               joiner, which holds both and frees the record with no write to REFS (taskFree).
//  +24  SCHED   scheduler this task runs under. Written at spawn.
//  +28  ENQ     object of the pending enqueue handler (the word or signal waited on); once the
//               task failed, its error message (FLAG_MESSAGE).
//  +32  RESULT  u64, written once by the completer before the future word becomes DONE.
//  +40  ARG0 .. +56 ARG2   u64 arguments. Written at spawn (ARG0 also by a completing future
//               for a continuation, before the continuation is made ready).
// A task is on at most one queue or list at a time; that holder owns NEXT.

import { heapAlloc, heapFree } from "~lib/rt/heap";
import { heapStart } from "~lib/rt/pages";
import { add32, sub32, store32, xchg32, cas32, load64, ownerAdd64 } from "~lib/rt/atomic";
import { FC_TASKS_LIVE, OBJ_HEADER } from "~lib/rt/abi";
import { CORE_ID, CORE_COUNT } from "~lib/rt/platform";
import { coreRec } from "~lib/rt/layout";
import { fail } from "~lib/rt/trap";

// @ts-ignore: decorator
@inline export const TASK_SIZE: usize = 64;
// @ts-ignore: decorator
@inline export const T_NEXT: usize = 0;
// @ts-ignore: decorator
@inline export const T_FN: usize = 4;
// @ts-ignore: decorator
@inline export const T_CTX: usize = 8;
// @ts-ignore: decorator
@inline export const T_KIND: usize = 12;
// @ts-ignore: decorator
@inline export const T_FUTURE: usize = 16;
// @ts-ignore: decorator
@inline export const T_REFS: usize = 20;
// @ts-ignore: decorator
@inline export const T_SCHED: usize = 24;
// @ts-ignore: decorator
@inline export const T_ENQ: usize = 28;
// @ts-ignore: decorator
@inline export const T_RESULT: usize = 32;
// @ts-ignore: decorator
@inline export const T_ARG0: usize = 40;
// @ts-ignore: decorator
@inline export const T_ARG1: usize = 48;
// @ts-ignore: decorator
@inline export const T_ARG2: usize = 56;

/** Future word value of a completed future (task addresses are 16-aligned, never 1). */
// @ts-ignore: decorator
@inline export const DONE: u32 = 1;
/** Future word of a machine call claimed for an in-place result (sched/future.ts h1: stored
 *  by its issuer before publishing, or sched.ts schedSpinFor cmpxchg 0 → SPINNING; back to 0
 *  when a waiter gives up, another waiter registers, or the handle goes first). */
// @ts-ignore: decorator
@inline export const SPINNING: u32 = 2;
/** Future word of a call whose server found SPINNING and handed the result over in place
 *  (machine/imc.ts callComplete cmpxchg SPINNING → HANDED): the result is there for every
 *  waiter; the handle's release finishes the call (sched/future.ts h4). */
// @ts-ignore: decorator
@inline export const HANDED: u32 = 3;
/** KIND flag: a continuation, given the completed future's value in ARG0 (sched/future.ts then()). */
// @ts-ignore: decorator
@inline export const FLAG_WANTS_VALUE: u32 = 0x100;
/** KIND flag: the task failed (it trapped, or a call was refused); its future completed with 0
 *  (sched/dispatch.ts failCurrent) or an error code (machine/validate.ts). */
// @ts-ignore: decorator
@inline export const FLAG_FAILED: u32 = 0x200;
/** KIND flag: a failed task whose ENQ holds its error message (an asc string: sched/dispatch.ts
 *  failCurrent, machine/validate.ts); a message in the heap is freed with the record. */
// @ts-ignore: decorator
@inline export const FLAG_MESSAGE: u32 = 0x2000;
/** KIND flag: a machine call refused before its handler ran (machine/validate.ts, imc.ts): it
 *  never got a kernel's copies of its buffers. */
// @ts-ignore: decorator
@inline export const FLAG_REFUSED: u32 = 0x4000;
/** KIND flag: the error message is in a spare block (spareTake), which goes back with the record. */
// @ts-ignore: decorator
@inline export const FLAG_SPARE: u32 = 0x8000;
/** KIND bits 16–21: the method number of a machine call, once a server took it (machine/imc.ts). */
// @ts-ignore: decorator
@inline export const KIND_METHOD_SHIFT: u32 = 16;
/** KIND flag: the root task (main); if it fails the system ends. */
// @ts-ignore: decorator
@inline export const FLAG_ROOT: u32 = 0x400;

/** KIND flag: a machine call (machine/imc.ts); its completion goes back to the client. */
// @ts-ignore: decorator
@inline export const FLAG_CALL: u32 = 0x800;
/** KIND flag: an ordered machine call (machine/imc.ts). */
// @ts-ignore: decorator
@inline export const FLAG_ORDERED: u32 = 0x1000;
/** KIND flag: a failed task that trapped (sched/dispatch.ts failCurrent), as opposed to one that
 *  failed on purpose (failQuietly, a foreign machine's error) or a refused call. */
// @ts-ignore: decorator
@inline export const FLAG_TRAPPED: u32 = 0x400000;

/** KIND flag: a machine call in one of its interface's preallocated call slots (machine/imc.ts),
 *  not a heap block: the last release frees the slot (KIND = 0) instead of the block. */
// @ts-ignore: decorator
@inline export const FLAG_SLOT: u32 = 0x800000;

/** KIND flag: a machine call whose client found the handler (FN holds it, KIND bits 16–21 the
 *  method) so that the server writes nothing into the record before the result (machine/imc.ts). */
// @ts-ignore: decorator
@inline export const FLAG_RESOLVED: u32 = 0x1000000;

/** A task as its handler sees it: its arguments. */
@unmanaged
export class Task {
  get arg0(): u64 { return load<u64>(changetype<usize>(this) + T_ARG0); }
  get arg1(): u64 { return load<u64>(changetype<usize>(this) + T_ARG1); }
  get arg2(): u64 { return load<u64>(changetype<usize>(this) + T_ARG2); }
}

export type TaskFn = (t: Task) => u64;

/** A new record with two references (or one when `detached`), not yet on any queue. */
export function taskNew(fn: u32, sched: usize, a0: u64, a1: u64, a2: u64, detached: bool): usize {
  let t = heapAlloc(TASK_SIZE);
  taskInit(t, fn, sched, a0, a1, a2, detached ? 1 : 2);
  return t;
}

/** Fill record t (a new heap block, or a free call slot: machine/imc.ts) as a task with `refs`
 *  references; KIND 0. */
// @ts-ignore: decorator
@inline export function taskInit(t: usize, fn: u32, sched: usize, a0: u64, a1: u64, a2: u64, refs: u32): void {
  store<u32>(t + T_NEXT, 0);
  store<u32>(t + T_FN, fn);
  store<u32>(t + T_CTX, 0);
  store<u32>(t + T_KIND, 0);
  store<u32>(t + T_FUTURE, 0);
  store<u32>(t + T_REFS, refs);
  store<u32>(t + T_SCHED, <u32>sched);
  store<u32>(t + T_ENQ, 0);
  store<u64>(t + T_RESULT, 0);
  store<u64>(t + T_ARG0, a0);
  store<u64>(t + T_ARG1, a1);
  store<u64>(t + T_ARG2, a2);
  ownerAdd64(coreRec(CORE_ID) + FC_TASKS_LIVE, 1);
}

/** Task records live: made and not yet freed, summed over the cores' counts (FC_TASKS_LIVE: each
 *  core counts what it makes and frees, so no line is shared; a snapshot while tasks come and go). */
export function tasksLive(): u32 {
  let k: i64 = 0;
  for (let c = 0; c < CORE_COUNT; c++) k += <i64>load64(coreRec(c) + FC_TASKS_LIVE);
  return k > 0 ? <u32>k : 0;
}

/** Drop one reference; the last one frees the record (taskFree). */
export function taskRelease(t: usize): void {
  let before = sub32(t + T_REFS, 1);
  if (before == 1) taskFree(t);
  else if (before == 0) fail("task: released more often than referenced: 0x" + (<u32>t).toString(16));
}

/** Free record t, whose references are all dropped (taskRelease), or all held by the caller (an
 *  inline join's joiner: sched/future.ts join, which then writes no count at all): a heap block
 *  goes back to the heap, a call slot (FLAG_SLOT) becomes free for its client core's next call
 *  when KIND turns 0 (the last store: everything before it, the message's free included, is done
 *  with the record). */
export function taskFree(t: usize): void {
  let kind = load<u32>(t + T_KIND);
  if (kind & FLAG_MESSAGE) {
    // a string object: its block starts OBJ_HEADER bytes before it; a static message stays
    let msg = <usize>load<u32>(t + T_ENQ);
    if (kind & FLAG_SPARE) sparePut(msg - OBJ_HEADER);
    else if (msg >= heapStart()) heapFree(msg - OBJ_HEADER);
  }
  if (kind & FLAG_SLOT) {
    ownerAdd64(coreRec(CORE_ID) + FC_TASKS_LIVE, u64.MAX_VALUE);   // − 1
    store32(t + T_KIND, 0);
    return;
  }
  store<u32>(t + T_FN, 0);
  heapFree(t);
  // after the free, as before the count was per core: a program that waits for tasksLive() to
  // settle and then reads the heap must find the record's block freed (tests/sched "10^6 …")
  ownerAdd64(coreRec(CORE_ID) + FC_TASKS_LIVE, u64.MAX_VALUE);     // − 1
}

// Spare message blocks: the error of a task that fails while memory is exhausted (because it ran
// out, say) goes into one of these rather than a new block, and goes back here with the task's
// record, so that a run of such failures all get their messages and the blocks in use stay as
// they were. Slots, not a stack (no ABA): take = xchg a slot to 0, put = cmpxchg an empty slot.
// @ts-ignore: decorator
@inline const SPARES: usize = 4;
const spares = memory.data(<i32>SPARES << 2);

/** Boot, once: SPARES blocks of `bytes` bytes. */
export function sparesInit(bytes: usize): void {
  for (let i: usize = 0; i < SPARES; i++) store32(spares + (i << 2), <u32>heapAlloc(bytes));
}
/** A spare block, or 0 when every one is in use. */
export function spareTake(): usize {
  for (let i: usize = 0; i < SPARES; i++) {
    let b = <usize>xchg32(spares + (i << 2), 0);
    if (b) return b;
  }
  return 0;
}
function sparePut(b: usize): void {
  for (let i: usize = 0; i < SPARES; i++) if (cas32(spares + (i << 2), 0, <u32>b) == 0) return;
  heapFree(b);
}

// The task this core runs (0 between tasks): a wasm global, i.e. per core. The core record's
// FC_CURRENT mirrors it for the host and the stall detector (sched/dispatch.ts writes both).
let current: usize = 0;

/** The task running on this core, or 0. */
// @ts-ignore: decorator
@inline export function currentTask(): usize { return current; }
/** Set by the dispatch only (sched/dispatch.ts). */
// @ts-ignore: decorator
@inline export function setCurrentTask(t: usize): void { current = t; }
